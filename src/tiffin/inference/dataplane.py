"""The protocol-neutral dataplane: readiness, metadata, inference and feedback for one
model.

It knows no wire format and imports no web framework; every protocol adapter
decodes its request into a payload, calls :meth:`DataPlane.infer` (or
:meth:`DataPlane.feedback`), and encodes the result. This is the one place where what
the model returned is split into the client's output and the metrics and events the
:class:`~tiffin.inference.reporting.Reporter` takes care of.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable, Sized
from typing import Any

from tiffin.errors import (
    FeedbackNotSupported,
    InvalidInput,
    ModelNotFound,
    ModelNotReady,
    TiffinError,
)
from tiffin.inference.batching import BatchObserver, BatchOptions, with_batching
from tiffin.inference.reporting import FEEDBACK, PREDICT, Reporter
from tiffin.inference.runners import AsyncRunner, Runner, make_runner
from tiffin.metrics import Result, unwrap_result
from tiffin.model.endpoints import Endpoint
from tiffin.model.handle import FeedbackCall, ModelHandle, Stage
from tiffin.model.info import ModelInfo
from tiffin.version import __version__

logger = logging.getLogger("tiffin.server")

MODEL_ALIAS = "model"
"""Another name the served model answers to: KServe's model servers name their model
``model`` unless told otherwise, and so do the clients and tutorials written for them."""


class ModelState(enum.Enum):
    """Where a model is in its life inside one worker."""

    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


class DataPlane:
    """Serve one model: load it in the background, answer readiness, run inference."""

    def __init__(
        self,
        handle: ModelHandle,
        *,
        timeout: float = 60.0,
        threads: int = 1,
        on_wedged: Callable[[], None] | None = None,
        batching: BatchOptions | None = None,
    ) -> None:
        self.handle = handle
        self.timeout = timeout
        self.threads = threads
        self.on_wedged = on_wedged
        self.batching = batching
        """Adaptive batching settings (:mod:`tiffin.inference.batching`); None: off."""
        self.batch_observer: BatchObserver | None = None
        """Records batch sizes and queue waits; set by the server in each worker."""
        self.state = ModelState.LOADING
        self.load_seconds: float | None = None
        self.error: TiffinError | None = None
        self.reporter: Reporter | None = None
        """Records metrics and publishes events; set by the server in each worker."""
        self._runner: Runner | None = None
        self._awaiting: Runner | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def load(self) -> None:
        """Instantiate and load the model without blocking the event loop.

        Raises ModelLoadError (and records it) if the user's code fails.
        """
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            if not self.handle.loaded:  # else loaded before fork (tiffin.server.preload)
                pending = await loop.run_in_executor(None, self.handle.start_load)
                if pending is not None:
                    await pending
        except TiffinError as exc:  # the handle words every load failure
            self._fail(exc)
            raise
        self.handle.loaded = True
        self._runner = self._make_runner()
        self._awaiting = AsyncRunner(self.handle, self.timeout, None)
        self.load_seconds = time.perf_counter() - started
        self.state = ModelState.READY
        logger.info("model %r ready in %.2fs", self.handle.name, self.load_seconds)

    def _make_runner(self) -> Runner:
        """The model's runner, gathering predictions into batches when ``batching`` asks
        and the model accepts them; a model that cannot batch fails the load."""
        runner = make_runner(
            self.handle, timeout=self.timeout, threads=self.threads, on_wedged=self.on_wedged
        )
        try:
            return with_batching(runner, self.handle, self.batching, timeout=self.timeout,
                                 threads=self.threads, observer=self.batch_observer)  # fmt: skip
        except TiffinError as exc:
            runner.close()
            self._fail(exc)
            raise

    def _fail(self, error: TiffinError) -> None:
        self.state = ModelState.FAILED
        self.error = error

    def close(self) -> None:
        """Release the runner's threads and timers."""
        if self._runner is not None:
            self._runner.close()

    # -- queries -----------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """True once load() has returned."""
        return self.state is ModelState.READY

    @property
    def name(self) -> str:
        """The served model's name."""
        return self.handle.name

    @property
    def version(self) -> str:
        """The served model's version."""
        return self.handle.version

    @property
    def outputs(self) -> list[dict[str, Any]]:
        """The output tensors the model declares (for naming V2 outputs)."""
        return self.handle.outputs

    @property
    def inputs(self) -> list[dict[str, Any]]:
        """The input tensors the model declares (none before it is instantiated)."""
        return self.handle.inputs

    @property
    def info(self) -> ModelInfo:
        """The served model's description, framework and example input."""
        return self.handle.info

    @property
    def model_names(self) -> list[str]:
        """Names of the served models (without the :data:`MODEL_ALIAS`)."""
        return [self.handle.name]

    def check(self, name: str, version: str | None = None) -> None:
        """Raise ModelNotFound unless ``name`` (or :data:`MODEL_ALIAS`) and ``version`` are
        served."""
        known = name == self.handle.name or name == MODEL_ALIAS
        if not known or (version is not None and version != self.handle.version):
            raise ModelNotFound(name, version)

    def model_metadata(self, name: str, version: str | None = None) -> dict[str, Any]:
        """Open Inference Protocol metadata of a served model."""
        self.check(name, version)
        return self.handle.metadata()

    def server_metadata(self) -> dict[str, Any]:
        """Open Inference Protocol server metadata."""
        return {"name": "tiffin", "version": __version__, "extensions": ["binary_tensor_data"]}

    # -- inference ---------------------------------------------------------------------------

    @property
    def takes_names(self) -> bool:
        """True when the model's predict asks for the request's feature names."""
        return self.handle.names_parameter is not None

    @property
    def takes_feedback(self) -> bool:
        """True when the model has a ``feedback`` method (known once instantiated)."""
        return bool(self.handle.feedback_stages)

    def endpoints(self) -> list[Endpoint]:
        """The custom routes of the model's ``endpoints(router)``, once it has loaded."""
        return self.handle.endpoints()

    async def infer(self, payload: Any, *, request_id: str | None = None, names: Any = None) -> Any:
        """Run preprocess -> predict -> postprocess on ``payload`` within the timeout and
        return the output; its metrics and event go to the reporter. ``names`` are the
        request's feature names, for a predict that asks for them."""
        stages = self.handle.stages_with_names(names) if self.takes_names else None
        value = await self._run(payload, stages)
        return self._finish(PREDICT, request_id, payload, value)

    async def feedback(
        self, inputs: Any, truth: Any, predicted: Any, *, request_id: str | None = None
    ) -> Any:
        """Call the model's ``feedback(inputs, truth, predicted)`` within the timeout and
        return its output. Raises FeedbackNotSupported without one, InvalidInput when
        truth and predicted differ in length."""
        if self._runner is None:
            raise ModelNotReady(self.handle.name)
        if not self.takes_feedback:
            raise FeedbackNotSupported(self.handle.name)
        check_lengths(truth, predicted)
        call = FeedbackCall(inputs, truth, predicted)
        value = await self._run(call, self.handle.feedback_stages)
        record = {"inputs": inputs, "truth": truth, "predicted": predicted}
        return self._finish(FEEDBACK, request_id, record, value)

    async def call_endpoint(self, stage: Stage, arguments: Any) -> Any:
        """Run a custom endpoint's handler (bound in ``stage``) as the model's own calls run:
        on the model's thread(s) if sync, awaited if async, within the timeout."""
        return await self._run(arguments, (stage,))

    async def _run(self, payload: Any, stages: tuple[Stage, ...] | None) -> Any:
        runner = self._runner
        if runner is None or self._awaiting is None:
            raise ModelNotReady(self.handle.name)
        if stages and self.handle.all_sync and any(stage.is_async for stage in stages):
            runner = self._awaiting  # an async endpoint of an all-sync model: awaited inline
        return await runner.run(payload, stages)

    def _finish(self, kind: str, request_id: str | None, inputs: Any, value: Any) -> Any:
        """The output the client receives; the metrics and event go to the reporter."""
        reporter = self.reporter
        plain = not isinstance(value, (Result, tuple))
        if plain and (reporter is None or not reporter.publishes):
            return value  # no metrics, no event: nothing to split or report
        result = unwrap_result(value)
        if reporter is not None:
            reporter.report(kind, request_id, inputs, result)
        return result.output


def check_lengths(truth: Any, predicted: Any) -> None:
    """Raise InvalidInput when ``truth`` and ``predicted`` are both sequences of different
    lengths: one true value is compared with each prediction."""
    truths, predictions = _length(truth), _length(predicted)
    if truths is not None and predictions is not None and truths != predictions:
        raise InvalidInput(
            f"truth has {truths} values but predicted has {predictions}: the feedback "
            "pairs each true value with one prediction",
            hint='send as many values in "truth" as in "predicted"',
        )


def _length(value: Any) -> int | None:
    """The length of a list or array; None for a scalar, text or a mapping."""
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Sized):
        return None
    try:
        return len(value)
    except TypeError:  # a 0-d array
        return None
