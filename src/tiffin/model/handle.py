"""The loaded model: one object that runs load and preprocess -> predict -> postprocess."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tiffin.errors import ModelLoadError, PredictionFailed, TiffinError
from tiffin.model.contract import PIPELINE_STAGES, is_async
from tiffin.model.info import ModelInfo

logger = logging.getLogger("tiffin.model")

SyncCaller = Callable[[Callable[[Any], Any], Any], Awaitable[Any]]
"""How the async pipeline runs a sync stage: inline, or in a thread pool."""


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline, bound to the user's instance."""

    name: str
    func: Callable[[Any], Any]
    is_async: bool


class ModelHandle:
    """A user model, created by ``factory`` once per process and run through the contract.

    Obtain one with :func:`tiffin.load`; call :meth:`predict` to run
    preprocess -> predict -> postprocess exactly as the server does.
    """

    def __init__(
        self,
        factory: Callable[[], Any],
        *,
        name: str,
        version: str = "1",
        platform: str = "tiffin",
        info: ModelInfo | None = None,
    ) -> None:
        self.name = name
        self.version = version
        self.platform = platform
        self.info = info or ModelInfo()
        """Description, framework and example input, for people trying the model."""
        self._factory = factory
        self.instance: Any = None
        self.stages: tuple[Stage, ...] = ()
        self.loaded = False

    # -- lifecycle ---------------------------------------------------------------------------

    def instantiate(self) -> None:
        """Create the user's object and bind its pipeline stages."""
        self.instance = self._factory()
        stages = []
        for stage in PIPELINE_STAGES:
            func = getattr(self.instance, stage, None)
            if func is not None:
                stages.append(Stage(stage, func, is_async(func)))
        self.stages = tuple(stages)

    def start_load(self) -> Awaitable[Any] | None:
        """Instantiate and run a sync ``load()``; return the awaitable of an async one.

        Whatever the user's ``__init__`` or ``load()`` raises becomes a
        :class:`ModelLoadError`, here and in the returned awaitable: the one place that
        words a load failure, for the server, batch jobs, ``tiffin predict`` and the API.
        """
        try:
            self.instantiate()
            load = getattr(self.instance, "load", None)
            result = load() if load is not None else None
        except TiffinError:
            raise
        except Exception as exc:
            raise load_failed(self.name, exc) from exc
        return self._guard_load(result) if asyncio.iscoroutine(result) else None

    async def _guard_load(self, pending: Awaitable[Any]) -> None:
        try:
            await pending
        except TiffinError:
            raise
        except Exception as exc:
            raise load_failed(self.name, exc) from exc

    def load(self) -> ModelHandle:
        """Instantiate and load in the calling thread (sync or async ``load``)."""
        pending = self.start_load()
        if pending is not None:
            asyncio.run(_await(pending))
        self.loaded = True
        return self

    @property
    def all_sync(self) -> bool:
        """True when no stage is a coroutine function, so the pipeline can run in one call."""
        return not any(stage.is_async for stage in self.stages)

    # -- inference ---------------------------------------------------------------------------

    def run_sync(self, payload: Any) -> Any:
        """Run every stage in the calling thread. Only valid when :attr:`all_sync`."""
        for stage in self.stages:
            try:
                payload = stage.func(payload)
            except TiffinError:
                raise
            except Exception as exc:
                logger.exception("%s.%s failed", self.name, stage.name)
                raise PredictionFailed(stage.name, exc) from exc
        return payload

    async def run_async(self, payload: Any, call_sync: SyncCaller) -> Any:
        """Run every stage, awaiting async ones and handing sync ones to ``call_sync``."""
        for stage in self.stages:
            try:
                if stage.is_async:
                    payload = await stage.func(payload)
                else:
                    payload = await call_sync(stage.func, payload)
            except (TiffinError, asyncio.CancelledError, TimeoutError):
                raise
            except Exception as exc:
                logger.exception("%s.%s failed", self.name, stage.name)
                raise PredictionFailed(stage.name, exc) from exc
        return payload

    def predict(self, inputs: Any) -> Any:
        """Run preprocess -> predict -> postprocess on ``inputs`` and return the result.

        Loads the model first if that has not happened yet.
        """
        if not self.loaded:
            self.load()
        if self.all_sync:
            return self.run_sync(inputs)
        return asyncio.run(self.run_async(inputs, call_inline))

    # -- metadata ----------------------------------------------------------------------------

    @property
    def inputs(self) -> list[dict[str, Any]]:
        """Input tensors the model declares (its ``inputs`` attribute), for V2 metadata."""
        return list(getattr(self.instance, "inputs", None) or [])

    @property
    def outputs(self) -> list[dict[str, Any]]:
        """Output tensors the model declares (its ``outputs`` attribute), for V2 metadata."""
        return getattr(self.instance, "outputs", None) or []

    def metadata(self) -> dict[str, Any]:
        """Open Inference Protocol model metadata; tensors come from ``inputs``/``outputs``."""
        return {
            "name": self.name,
            "versions": [self.version],
            "platform": self.platform,
            "inputs": self.inputs,
            "outputs": list(self.outputs),
        }

    def __repr__(self) -> str:
        return f"ModelHandle(name={self.name!r}, version={self.version!r}, loaded={self.loaded})"


def load_failed(name: str, exc: BaseException) -> ModelLoadError:
    """The error of a model whose ``__init__`` or ``load()`` raised ``exc``."""
    return ModelLoadError(
        f"model {name!r} failed to load: {type(exc).__name__}: {exc}",
        hint="fix the model's __init__/load(); `tiffin predict PATH --data ...` reproduces it",
    )


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


async def call_inline(func: Callable[[Any], Any], payload: Any) -> Any:
    """Run a sync stage on the calling thread (the inline :data:`SyncCaller`)."""
    return func(payload)
