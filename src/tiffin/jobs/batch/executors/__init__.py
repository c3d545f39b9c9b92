"""Executors: where the chunks of a batch job are processed (`--engine local|dask|ray`).

An executor is one small object with one method::

    class Executor(Protocol):
        def run(self, job: BatchJob, chunks: Iterable[Chunk]) -> Generator[ChunkResult]: ...

``run`` calls ``job.process(chunk)`` (a pure function of picklable data) for
every chunk, wherever it likes, keeping only a bounded number of chunks in
flight, and yields each result as it finishes, in any order. When the caller
stops supplying chunks the executor finishes what is in flight and ends; when the
caller closes the iterator (Ctrl-C) it drops in-flight work at once. The caller
writes the results, so an executor never touches the output directory.

Executors register themselves by name with :func:`register_executor`; ``--engine
NAME`` imports ``tiffin.jobs.batch.executors.NAME`` on first use, so each executor
(``local``, ``dask``, ``ray``) is one module in this package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Generator, Iterable
from typing import TYPE_CHECKING, Protocol, TypeVar

from tiffin.errors import BatchError

if TYPE_CHECKING:
    from tiffin.jobs.batch.messages import Chunk, ChunkResult
    from tiffin.jobs.batch.options import BatchOptions
    from tiffin.jobs.batch.worker import BatchJob

__all__ = ["Executor", "executor_for", "register_executor"]


class Executor(Protocol):
    """Processes the chunks of a job and yields their results as they finish."""

    def run(self, job: BatchJob, chunks: Iterable[Chunk]) -> Generator[ChunkResult, None, None]:
        """Process every chunk; yield each result when it is ready."""
        ...


ExecutorFactory = Callable[["BatchOptions"], Executor]
F = TypeVar("F", bound=ExecutorFactory)
_EXECUTORS: dict[str, ExecutorFactory] = {}


def register_executor(name: str) -> Callable[[F], F]:
    """Register an executor factory (a class taking the job's options) under ``name``."""

    def decorate(factory: F) -> F:
        if name in _EXECUTORS:
            raise ValueError(f"engine {name!r} is already registered by {_EXECUTORS[name]!r}")
        _EXECUTORS[name] = factory
        return factory

    return decorate


def executor_for(options: BatchOptions) -> Executor:
    """The executor named by ``options.engine``, built for these options."""
    name = options.engine
    if name not in _EXECUTORS:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise BatchError(f"engine {name!r} needs {exc.name!r}: {exc}",
                                 hint=f"pip install {exc.name}") from exc  # fmt: skip
    if name not in _EXECUTORS:
        raise BatchError(f"unknown engine {name!r}; known: {', '.join(sorted(_EXECUTORS))}")
    return _EXECUTORS[name](options)
