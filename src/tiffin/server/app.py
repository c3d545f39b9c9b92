"""The ASGI application: routing, lifespan (background model load, the gRPC server, the
model's metrics and events, its custom endpoints), errors and metrics."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tiffin import console as browser_console
from tiffin.errors import RouteClash, ServerError, TiffinError, setting
from tiffin.events import EventPublisher
from tiffin.inference.dataplane import DataPlane
from tiffin.inference.reporting import Reporter
from tiffin.inference.repository import ModelRepository
from tiffin.metrics.prometheus import MetricsRecorder
from tiffin.protocols import ServerContext, all_routes
from tiffin.protocols.custom import custom_routes
from tiffin.protocols.http import REQUEST_ID_HEADER, Request, Response, read_body
from tiffin.protocols.sagemaker import TARGET_MODEL
from tiffin.server.batch_metrics import BatchMetrics
from tiffin.server.errors import error_response, plain_error
from tiffin.server.events_config import EventsOptions, start_publisher
from tiffin.server.grpc_config import GrpcOptions
from tiffin.server.metrics import Metrics
from tiffin.server.openapi import openapi_document
from tiffin.server.routing import MethodNotAllowed, Router, describe
from tiffin.types import Receive, Scope, Send

if TYPE_CHECKING:
    from tiffin.server.grpc_server import GrpcServer

logger = logging.getLogger("tiffin.server")

LOAD_FAILED_EXIT_CODE = 3
"""The exit code of a worker whose model failed to load (gunicorn's 'worker failed to boot')."""
START_FAILED_EXIT_CODE = 4
"""The exit code of a worker that cannot serve as configured, such as a gRPC port it cannot
bind (gunicorn's 'app failed to load'); like a failed load, it stops the server."""


def exit_on_load_failure(error: TiffinError) -> None:
    """Default reaction to a worker that cannot start (its model failed to load, or its
    gRPC port cannot be bound): log one line and end the process non-zero."""
    message = f"{error.message}" + (f" (hint: {error.hint})" if error.hint else "")
    logger.error("%s", message)
    for handler in logging.getLogger().handlers + logger.handlers:
        handler.flush()
    os._exit(START_FAILED_EXIT_CODE if isinstance(error, ServerError) else LOAD_FAILED_EXIT_CODE)


class TiffinApp:
    """An ASGI app serving one dataplane, or a repository of models, over every protocol.

    A repository (:class:`~tiffin.inference.repository.ModelRepository`) loads each model
    in its own background task: a failed model is reported, not fatal, and custom
    endpoints are served for a single model only.

    With ``grpc`` options, its lifespan also runs the Open Inference Protocol over gRPC
    on the same event loop and dataplane (:mod:`tiffin.server.grpc_server`). With
    ``console`` (the default) it serves the browser console too (:mod:`tiffin.console`).
    The model's own metrics go to ``/metrics``; with ``events`` each worker publishes its
    predictions and feedback to Kafka (:mod:`tiffin.server.events_config`). The model's
    custom endpoints are served once it has loaded.
    """

    def __init__(
        self,
        dataplane: DataPlane | ModelRepository,
        *,
        workers: int = 1,
        max_body_size: int = 16 * 1024 * 1024,
        default_accept: str | None = None,
        grpc: GrpcOptions | None = None,
        on_load_failed: Callable[[TiffinError], None] = exit_on_load_failure,
        console: bool = True,
        events: EventsOptions | None = None,
        graceful_timeout: float = 30.0,
    ) -> None:
        self.models = (dataplane if isinstance(dataplane, ModelRepository)
                       else ModelRepository.of_one(dataplane))  # fmt: skip
        self.max_body_size = max_body_size
        self.grpc = grpc
        self.grpc_server: GrpcServer | None = None
        self.on_load_failed = on_load_failed
        self.metrics: Metrics | None = None
        self.events = events
        self.publisher: EventPublisher | None = None
        self.graceful_timeout = graceful_timeout
        self._stopping_since: float | None = None
        self.context = ServerContext(
            workers=workers,
            max_body_size=max_body_size,
            default_accept=default_accept
            or os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT")
            or "application/json",
            openapi=self._openapi,
            sagemaker_multi_model=os.environ.get("SAGEMAKER_MULTI_MODEL", "").lower() == "true",
        )
        routes = all_routes(self.models, self.context)
        if console:  # the browser console (tiffin.console), also at GET / for browsers
            routes += browser_console.routes(self.models, self.context)
            self.context.home_page = browser_console.page
        self.router = Router(routes)
        self._openapi_doc: dict | None = None
        self._load_task: asyncio.Task[None] | None = None
        self._recorder: MetricsRecorder | None = None

    @property
    def dataplane(self) -> DataPlane:
        """The dataplane of a server of one package (a repository has one per model)."""
        if self.models.single is None:
            raise AttributeError("a repository serves several dataplanes: see .models")
        return self.models.single

    def _openapi(self) -> dict:
        if self._openapi_doc is None:
            title = f"tiffin: {', '.join(self.models.names)}"
            self._openapi_doc = openapi_document(self.router.routes, title)
        return self._openapi_doc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.handle(scope, receive, send)
        elif kind == "lifespan":
            await self.lifespan(receive, send)

    # -- requests ----------------------------------------------------------------------------

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request, recording it in the metrics; a request that ran the
        model gets its id back in ``X-Request-Id``."""
        started = time.perf_counter()
        protocol = "unrouted"
        request: Request | None = None
        try:
            found = self.router.match(scope["method"], scope["path"])
            if found is None:
                response = plain_error(404, f"no route for {scope['method']} {scope['path']}")
            else:
                route, params = found
                protocol = route.protocol
                body = await read_body(scope, receive, self.max_body_size)
                request = Request(scope, body, params)
                response = await route.handler(request)
        except TiffinError as exc:
            response = error_response(exc)
        except MethodNotAllowed as exc:
            response = plain_error(405, f"method {scope['method']} not allowed; use {exc}")
            response.headers = [(b"allow", str(exc).encode())]
        except Exception as exc:
            logger.exception("unexpected error answering %s %s", scope["method"], scope["path"])
            response = plain_error(500, f"internal error: {type(exc).__name__}: {exc}")
        if request is not None and request.request_id is not None:
            _add_request_id(response, request.request_id)
        await response.send_to(send)
        if self.metrics is not None:
            self.metrics.observe(protocol, response.status, time.perf_counter() - started)
            if request is not None and self.models.single is None:
                self._observe_model(request, protocol, response.status)

    def _observe_model(self, request: Request, protocol: str, status: int) -> None:
        """Count a request to a served model of a repository by the model's name."""
        name = request.params.get("name") or request.header(TARGET_MODEL[0])
        if name in self.models.slots and self.metrics is not None:
            self.metrics.observe_model(name, protocol, status)

    # -- lifespan ----------------------------------------------------------------------------

    async def lifespan(self, receive: Receive, send: Send) -> None:
        """Start the gRPC server and load the model in the background at startup; drain
        gRPC calls and release the model at shutdown."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except ServerError as exc:
                    self.on_load_failed(exc)
                    await send({"type": "lifespan.startup.failed", "message": exc.message})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> asyncio.Task[None]:
        """In each worker: metrics, the gRPC server, the reporter of the model's metrics and
        events; then the model loads in the background (the task returned). Raises
        ServerError if the worker cannot serve as configured."""
        self.metrics = Metrics()
        self.context.render_metrics = self.metrics.exposition
        await self._start_grpc()
        self._start_reporting(self.metrics)
        if self.models.single is None:
            self._load_task = asyncio.create_task(self._load_repository())
            return self._load_task
        self._instrument(self.dataplane)
        self._load_task = asyncio.create_task(self._load())
        return self._load_task

    async def shutdown(self) -> None:
        """Stop loading, drain gRPC, release the model, and send the buffered events within
        what is left of the graceful timeout."""
        if self._load_task is not None:
            self._load_task.cancel()
        if self.grpc_server is not None:
            await self.grpc_server.begin_stop()
        self.models.close()
        if self.publisher is not None:
            since = self._stopping_since or time.monotonic()
            timeout = max(1.0, since + self.graceful_timeout - time.monotonic() - 1.0)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self.publisher.close, timeout)

    def begin_shutdown(self) -> None:
        """The server is stopping (SIGTERM): stop taking gRPC calls now and drain those in
        flight while HTTP drains too; the lifespan shutdown waits for it."""
        self._stopping_since = time.monotonic()
        if self.grpc_server is not None:
            self.grpc_server.begin_stop()

    def _start_reporting(self, metrics: Metrics) -> None:
        """The models' events go to this worker's publisher."""
        if self.events is not None:
            self.publisher = start_publisher(self.events, metrics.registry)

    def _instrument(self, dp: DataPlane) -> None:
        """A model's metrics go to this worker's registry (merged over the workers by
        ``/metrics``) under its name, its events to this worker's publisher."""
        assert self.metrics is not None
        registry = self.metrics.registry
        if self._recorder is None:
            self._recorder = MetricsRecorder(dp.name, dp.version, registry=registry)
        recorder = self._recorder.for_model(dp.name, dp.version)  # one family per metric
        rejected = self.metrics.rejection_counter(dp.name, dp.version)
        dp.reporter = Reporter(dp.name, dp.version, recorder=recorder, publisher=self.publisher,
                               on_rejected=rejected)  # fmt: skip
        dp.batch_observer = BatchMetrics(registry, dp.name)

    def _add_endpoints(self) -> None:
        """Serve the model's custom endpoints; RouteClash if one has the method and path of
        a route already served."""
        endpoints = self.dataplane.endpoints()
        for endpoint in endpoints:
            known = self.router.taken(endpoint.method, endpoint.path)
            if known is not None:
                raise RouteClash(endpoint.method, endpoint.path, describe(known),
                                 endpoint.handler_name)  # fmt: skip
        if endpoints:
            self.router.extend(custom_routes(self.dataplane, endpoints))
            self._openapi_doc = None
            logger.info(
                "custom endpoints: %s", ", ".join(f"{e.method} {e.path}" for e in endpoints)
            )

    async def _start_grpc(self) -> None:
        if self.grpc is None:
            return
        from tiffin.server.grpc_server import GrpcServer  # grpc is imported by workers only

        server = GrpcServer(self.models, self.grpc, self._observe)
        try:
            await server.start()
        except OSError as exc:
            raise ServerError(
                f"cannot listen for gRPC on {self.grpc.address}: {exc}",
                hint=f"choose another port with {setting('grpc_port')} (0 turns gRPC off)",
            ) from exc
        self.grpc_server = server
        logger.info("Open Inference Protocol over gRPC on %s", self.grpc.address)

    def _observe(self, protocol: str, status: str, seconds: float) -> None:
        if self.metrics is not None:
            self.metrics.observe(protocol, status, seconds)

    async def _load(self) -> None:
        try:
            await self.dataplane.load()
            self._add_endpoints()
        except TiffinError as exc:
            self.on_load_failed(exc)
            return
        if self.grpc_server is not None:
            await self.grpc_server.serving()
        self._loaded(self.dataplane)

    async def _load_repository(self) -> None:
        """Load every model of the repository, each on its own; a failure is that model's
        (FAILED with its reason), never the worker's."""
        self.models.on_built = self._instrument
        self.models.on_loaded = self._repository_model_loaded
        await self.models.start()
        if self.grpc_server is not None:
            await self.grpc_server.serving()

    def _repository_model_loaded(self, dp: DataPlane) -> None:
        self._loaded(dp)
        if getattr(dp.handle.instance, "endpoints", None) is not None:
            logger.warning("model %r has custom endpoints; a repository serves them for a "
                           "single model only, so they are not served", dp.name)  # fmt: skip

    def _loaded(self, dp: DataPlane) -> None:
        if self.metrics is not None and dp.load_seconds is not None:
            self.metrics.model_loaded(dp.name, dp.load_seconds)


def _add_request_id(response: Response, request_id: str) -> None:
    """Return the request's id in ``X-Request-Id``."""
    header = (REQUEST_ID_HEADER, request_id.encode("latin-1", "replace"))
    response.headers = [*response.headers, header] if response.headers else [header]
