"""One worker's gRPC server: the Open Inference Protocol, health and reflection, run by
``grpc.aio`` on the worker's own event loop, over the models REST serves.

Imported only inside a worker that serves gRPC (the ``grpc`` extra). Every RPC of the
inference service is wrapped once here: tiffin's errors become gRPC statuses through the
table in :mod:`tiffin.server.errors` (details: the JSON body REST sends), anything else
is INTERNAL with its type and message (the traceback goes to the log), and each call is
recorded in the metrics under the protocol ``oip_v2_grpc``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import grpc
import orjson
from google.protobuf import descriptor_pool
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2

from tiffin.errors import TiffinError
from tiffin.inference.repository import ModelRepository
from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2 as pb
from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2_grpc as pb_grpc
from tiffin.protocols.oip_v2_grpc import PROTOCOL, RPCS, SERVICE_NAME, InferenceServicer
from tiffin.server.errors import error_body, grpc_status_for
from tiffin.server.grpc_config import GrpcOptions

logger = logging.getLogger("tiffin.server")

Observe = Callable[[str, str, float], None]
"""Records one answered call: protocol, status code name, seconds."""
Rpc = Callable[[Any, Any], Awaitable[Any]]
HEALTH_SERVICES = ("", SERVICE_NAME)
"""Health is reported for the server as a whole ("") and for the inference service."""


class GrpcServer:
    """Start, mark serving, and drain one worker's ``grpc.aio`` server."""

    def __init__(self, models: ModelRepository, options: GrpcOptions, observe: Observe) -> None:
        self.options = options
        self.health = health.aio.HealthServicer()
        self.server = grpc.aio.server(options=channel_options(options))
        inference = guarded(InferenceServicer(models), observe)
        pb_grpc.add_GRPCInferenceServiceServicer_to_server(inference, self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        names = [SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME]
        reflection.enable_server_reflection(names, self.server, pool=reflection_pool())
        self._stopping: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Listen on the port; health says NOT_SERVING until :meth:`serving`."""
        for service in HEALTH_SERVICES:
            await self.health.set(service, health_pb2.HealthCheckResponse.NOT_SERVING)
        try:
            bound = self.server.add_insecure_port(self.options.address)
        except RuntimeError as exc:  # grpc >= 1.5x raises; older ones return 0
            raise OSError(str(exc)) from exc
        if not bound:
            raise OSError(f"gRPC could not bind {self.options.address}")
        await self.server.start()

    async def serving(self) -> None:
        """The models have loaded: health says SERVING."""
        for service in HEALTH_SERVICES:
            await self.health.set(service, health_pb2.HealthCheckResponse.SERVING)

    def begin_stop(self) -> asyncio.Task[None]:
        """Stop taking calls and let those in flight finish, for up to the graceful timeout;
        returns the task doing it (the same one on every call)."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        return self._stopping

    async def _stop(self) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(self.options.graceful_timeout or None)


def channel_options(options: GrpcOptions) -> list[tuple[str, int]]:
    """The server's message size limits, and SO_REUSEPORT only when workers share the port."""
    return [
        ("grpc.max_receive_message_length", options.max_message_size),
        ("grpc.max_send_message_length", options.max_message_size),
        ("grpc.so_reuseport", int(options.reuse_port)),
    ]


def reflection_pool() -> descriptor_pool.DescriptorPool:
    """A pool with every service the server offers: tiffin's inference service (from its
    private pool), health and reflection (from the default one)."""
    pool = descriptor_pool.DescriptorPool()
    for file in (pb.DESCRIPTOR, health_pb2.DESCRIPTOR, reflection_pb2.DESCRIPTOR):
        pool.AddSerializedFile(file.serialized_pb)
    return pool


def guarded(servicer: InferenceServicer, observe: Observe) -> SimpleNamespace:
    """The servicer's RPCs, each mapping errors to statuses and recording the call."""
    return SimpleNamespace(**{name: guard(name, getattr(servicer, name), observe)
                              for name in RPCS})  # fmt: skip


def guard(name: str, method: Rpc, observe: Observe) -> Rpc:
    """``method`` answering tiffin's errors with their gRPC status and JSON details."""

    async def rpc(request: Any, context: Any) -> Any:
        started = time.perf_counter()
        code = "OK"
        try:
            return await method(request, context)
        except TiffinError as exc:
            code = grpc_status_for(exc)
            await context.abort(grpc.StatusCode[code], error_body(exc).decode())
        except asyncio.CancelledError:
            code = "CANCELLED"
            raise
        except Exception as exc:
            logger.exception("unexpected error answering gRPC %s", name)
            code = "INTERNAL"
            details = orjson.dumps({"error": f"internal error: {type(exc).__name__}: {exc}"})
            await context.abort(grpc.StatusCode.INTERNAL, details.decode())
        finally:
            observe(PROTOCOL, code, time.perf_counter() - started)

    rpc.__name__ = name
    return rpc
