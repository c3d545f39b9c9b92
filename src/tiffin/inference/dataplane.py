"""The protocol-neutral dataplane: readiness, metadata and inference for one model.

It knows no wire format and imports no web framework; every protocol adapter
decodes its request into a payload, calls :meth:`DataPlane.infer`, and encodes
the result.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable
from typing import Any

from tiffin.errors import ModelNotFound, ModelNotReady, TiffinError
from tiffin.inference.runners import Runner, make_runner
from tiffin.model.handle import ModelHandle
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
    ) -> None:
        self.handle = handle
        self.timeout = timeout
        self.threads = threads
        self.on_wedged = on_wedged
        self.state = ModelState.LOADING
        self.load_seconds: float | None = None
        self.error: TiffinError | None = None
        self._runner: Runner | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def load(self) -> None:
        """Instantiate and load the model without blocking the event loop.

        Raises ModelLoadError (and records it) if the user's code fails.
        """
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            pending = await loop.run_in_executor(None, self.handle.start_load)
            if pending is not None:
                await pending
        except TiffinError as exc:  # the handle words every load failure
            self._fail(exc)
            raise
        self.handle.loaded = True
        self._runner = make_runner(
            self.handle, timeout=self.timeout, threads=self.threads, on_wedged=self.on_wedged
        )
        self.load_seconds = time.perf_counter() - started
        self.state = ModelState.READY
        logger.info("model %r ready in %.2fs", self.handle.name, self.load_seconds)

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

    async def infer(self, payload: Any) -> Any:
        """Run preprocess -> predict -> postprocess on ``payload`` within the timeout."""
        runner = self._runner
        if runner is None:
            raise ModelNotReady(self.handle.name)
        return await runner.run(payload)
