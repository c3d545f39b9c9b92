"""The loaded model: one object that runs load, preprocess -> predict -> postprocess, and
the optional ``feedback`` and ``endpoints`` methods."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tiffin.errors import (
    ContractError,
    FeedbackNotSupported,
    ModelLoadError,
    PredictionFailed,
    TiffinError,
)
from tiffin.metrics import Result, unwrap_result
from tiffin.model.contract import PIPELINE_STAGES, is_async, names_parameter
from tiffin.model.endpoints import Endpoint, EndpointRouter
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


Stages = Sequence[Stage]
"""The steps one call runs: the prediction pipeline, the feedback step, an endpoint."""


@dataclass(frozen=True)
class FeedbackCall:
    """The arguments of one ``feedback(inputs, truth, predicted)`` call."""

    inputs: Any
    truth: Any
    predicted: Any


def _give_feedback(feedback: Callable[..., Any], call: FeedbackCall) -> Any:
    return feedback(call.inputs, call.truth, call.predicted)


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
        model_class: type | None = None,
    ) -> None:
        self.name = name
        self.version = version
        self.platform = platform
        self.info = info or ModelInfo()
        """Description, framework and example input, for people trying the model."""
        self._factory = factory
        self.model_class = model_class
        """The user's class (None for a function), for checks made before it is created."""
        self.instance: Any = None
        self.stages: tuple[Stage, ...] = ()
        self.feedback_stages: tuple[Stage, ...] = ()
        """The ``feedback`` step (taking a :class:`FeedbackCall`); empty without one."""
        self.names_parameter: str | None = None
        """The parameter of ``predict`` that receives the feature names, if it has one."""
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
        self.names_parameter = names_parameter(self.instance.predict)
        feedback = getattr(self.instance, "feedback", None)
        self.feedback_stages = (
            (Stage("feedback", functools.partial(_give_feedback, feedback), is_async(feedback)),)
            if callable(feedback)
            else ()
        )

    def stages_with_names(self, names: Any) -> tuple[Stage, ...]:
        """The pipeline with ``predict`` given the request's feature names (``[]`` when
        the request has none), for a model whose predict asks for them."""
        if self.names_parameter is None:
            return self.stages
        given = {self.names_parameter: [] if names is None else names}
        return tuple(
            Stage(s.name, functools.partial(s.func, **given), s.is_async) if s.name == "predict"
            else s
            for s in self.stages
        )  # fmt: skip

    def endpoints(self) -> list[Endpoint]:
        """The custom routes the model's ``endpoints(router)`` adds (none without it)."""
        method = getattr(self.instance, "endpoints", None)
        if method is None:
            return []
        router = EndpointRouter()
        try:
            method(router)
        except TiffinError:
            raise
        except Exception as exc:
            raise ContractError(
                f"{self.name}: endpoints(router) raised {type(exc).__name__}: {exc}",
                hint="endpoints() should only add routes: router.add('GET', '/path', handler)",
            ) from exc
        return router.endpoints

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
        """True when no stage (feedback included) is a coroutine function, so each call can
        run in one go on a thread."""
        return not any(stage.is_async for stage in (*self.stages, *self.feedback_stages))

    # -- inference ---------------------------------------------------------------------------

    def run_sync(self, payload: Any, stages: Stages | None = None) -> Any:
        """Run every stage (the pipeline unless ``stages`` says otherwise) in the calling
        thread. Only valid when none of them is async."""
        for stage in stages or self.stages:
            try:
                payload = stage.func(payload)
            except TiffinError:
                raise
            except Exception as exc:
                logger.exception("%s.%s failed", self.name, stage.name)
                raise PredictionFailed(stage.name, exc) from exc
        return payload

    async def run_async(
        self, payload: Any, call_sync: SyncCaller, stages: Stages | None = None
    ) -> Any:
        """Run every stage (the pipeline unless ``stages`` says otherwise), awaiting async
        ones and handing sync ones to ``call_sync``."""
        for stage in stages or self.stages:
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

    def predict(self, inputs: Any, names: Any = None) -> Any:
        """Run preprocess -> predict -> postprocess on ``inputs`` and return the output, as
        the server answers it (the metrics of a :class:`~tiffin.metrics.Result` left out).

        Loads the model first if that has not happened yet; ``names`` go to a predict
        that asks for them.
        """
        return self.call(inputs, names).output

    def call(self, inputs: Any, names: Any = None) -> Result:
        """:meth:`predict`, returning the output with the metrics and topics the model
        reported, as a :class:`~tiffin.metrics.Result`."""
        if not self.loaded:
            self.load()
        return unwrap_result(self._run(inputs, self.stages_with_names(names)))

    def feedback(self, inputs: Any, truth: Any, predicted: Any) -> Result:
        """Call the model's ``feedback(inputs, truth, predicted)``; its output and metrics as
        a :class:`~tiffin.metrics.Result`."""
        if not self.loaded:
            self.load()
        if not self.feedback_stages:
            raise FeedbackNotSupported(self.name)
        return unwrap_result(self._run(FeedbackCall(inputs, truth, predicted),
                                       self.feedback_stages))  # fmt: skip

    def _run(self, payload: Any, stages: Stages) -> Any:
        if not any(stage.is_async for stage in stages):
            return self.run_sync(payload, stages)
        return asyncio.run(self.run_async(payload, call_inline, stages))

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
