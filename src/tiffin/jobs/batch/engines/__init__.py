"""Engines: where the chunks of a batch job are processed.

An engine is one small object with one method::

    class Engine(Protocol):
        def run(self, job: BatchJob, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]: ...

``run`` calls ``job.process(chunk)`` (a pure function of picklable data) for
every chunk, wherever it likes, keeping only a bounded number of chunks in
flight, and yields each result as it finishes, in any order. When the caller
stops supplying chunks the engine finishes what is in flight and ends; when the
caller closes the iterator (Ctrl-C) it drops in-flight work at once. The caller
writes the results, so an engine never touches the output directory.

Engines register themselves by name with :func:`register_engine`; ``--engine
NAME`` imports ``tiffin.jobs.batch.engines.NAME`` on first use, so a new engine
(Ray, Dask) is one module in this package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Protocol, TypeVar

from tiffin.errors import BatchError

if TYPE_CHECKING:
    from tiffin.jobs.batch.messages import Chunk, ChunkResult
    from tiffin.jobs.batch.options import BatchOptions
    from tiffin.jobs.batch.worker import BatchJob

__all__ = ["Engine", "engine_for", "register_engine"]


class Engine(Protocol):
    """Processes the chunks of a job and yields their results as they finish."""

    def run(self, job: BatchJob, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]:
        """Process every chunk; yield each result when it is ready."""
        ...


EngineFactory = Callable[["BatchOptions"], Engine]
F = TypeVar("F", bound=EngineFactory)
_ENGINES: dict[str, EngineFactory] = {}


def register_engine(name: str) -> Callable[[F], F]:
    """Register an engine factory (a class taking the job's options) under ``name``."""

    def decorate(factory: F) -> F:
        if name in _ENGINES:
            raise ValueError(f"engine {name!r} is already registered by {_ENGINES[name]!r}")
        _ENGINES[name] = factory
        return factory

    return decorate


def engine_for(options: BatchOptions) -> Engine:
    """The engine named by ``options.engine``, built for these options."""
    name = options.engine
    if name not in _ENGINES:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise BatchError(f"engine {name!r} needs {exc.name!r}: {exc}",
                                 hint=f"pip install {exc.name}") from exc  # fmt: skip
    if name not in _ENGINES:
        raise BatchError(f"unknown engine {name!r}; known: {', '.join(sorted(_ENGINES))}")
    return _ENGINES[name](options)
