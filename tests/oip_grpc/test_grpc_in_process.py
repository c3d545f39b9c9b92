"""Fast, in-process checks of the gRPC server: the app's lifespan starts it on its own event
loop, errors map through the one status table, health follows the model's load."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from servers import free_port
from tiffin import errors
from tiffin.inference.dataplane import DataPlane
from tiffin.model.handle import ModelHandle
from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2 as pb
from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2_grpc as pb_grpc
from tiffin.server.app import TiffinApp
from tiffin.server.errors import STATUS_BY_ERROR, grpc_status_for
from tiffin.server.grpc_config import GrpcOptions


class Doubler:
    def predict(self, inputs):
        return inputs * 2


def test_every_error_has_a_grpc_status_code() -> None:
    for cls, status in STATUS_BY_ERROR.items():
        assert status.grpc in grpc.StatusCode.__members__, cls
    assert grpc_status_for(errors.InvalidInput("x")) == "INVALID_ARGUMENT"
    assert grpc_status_for(errors.PayloadTooLarge(2, 1)) == "RESOURCE_EXHAUSTED"
    assert grpc_status_for(errors.ModelNotFound("m")) == "NOT_FOUND"
    assert grpc_status_for(errors.ModelNotReady("m")) == "UNAVAILABLE"
    assert grpc_status_for(errors.ModelLoadError("x")) == "UNAVAILABLE"
    assert grpc_status_for(errors.PredictionTimeout("m", 1)) == "DEADLINE_EXCEEDED"
    assert grpc_status_for(errors.PredictionFailed("predict", ValueError())) == "INTERNAL"
    assert grpc_status_for(errors.TiffinError("x")) == "INTERNAL"


@asynccontextmanager
async def serving(app: TiffinApp) -> AsyncIterator[grpc.aio.Channel]:
    """Run ``app``'s lifespan (and so its gRPC server); a channel to it."""
    inbox: asyncio.Queue[dict] = asyncio.Queue()
    outbox: asyncio.Queue[dict] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(app.lifespan(inbox.get, outbox.put))
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    assert app.grpc is not None
    try:
        async with grpc.aio.insecure_channel(app.grpc.address) as channel:
            yield channel
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await lifespan


def app_with_grpc(model_class: type = Doubler) -> TiffinApp:
    options = GrpcOptions("127.0.0.1", free_port(), 1024 * 1024, False, 5.0)
    handle = ModelHandle(model_class, name="m")
    return TiffinApp(DataPlane(handle, timeout=5), grpc=options,
                     on_load_failed=lambda error: None)  # fmt: skip


def run(scenario: Callable[..., Awaitable[Any]]) -> Any:
    async def main() -> Any:
        app = app_with_grpc()
        async with serving(app) as channel:
            return await scenario(app, channel)

    return asyncio.run(main())


def test_health_says_serving_once_the_model_loaded() -> None:
    async def scenario(app: TiffinApp, channel: grpc.aio.Channel) -> None:
        service = pb_grpc.GRPCInferenceServiceStub(channel)
        checker = health_pb2_grpc.HealthStub(channel)
        while not app.dataplane.ready:
            await asyncio.sleep(0.01)
        for name in ("", "inference.GRPCInferenceService"):
            answer = await checker.Check(health_pb2.HealthCheckRequest(service=name))
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        assert (await service.ServerReady(pb.ServerReadyRequest())).ready
        request = pb.ModelInferRequest(model_name="m", id="7")
        request.inputs.add(name="x", datatype="INT64", shape=[2]).contents.int64_contents.extend(
            [1, 2]
        )
        response = await service.ModelInfer(request)
        assert list(response.outputs[0].contents.int64_contents) == [2, 4]
        assert response.outputs[0].name == "output-0" and response.id == "7"

    run(scenario)


def test_an_unexpected_error_is_internal_without_a_traceback() -> None:
    async def scenario(app: TiffinApp, channel: grpc.aio.Channel) -> None:
        def broken(*args: Any) -> None:
            raise RuntimeError("boom")

        app.dataplane.check = broken  # type: ignore[method-assign]
        service = pb_grpc.GRPCInferenceServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await service.ModelReady(pb.ModelReadyRequest(name="m"))
        assert caught.value.code() == grpc.StatusCode.INTERNAL
        assert json.loads(caught.value.details()) == {"error": "internal error: RuntimeError: boom"}
        assert (await service.ServerLive(pb.ServerLiveRequest())).live

    run(scenario)


def test_a_port_that_cannot_be_bound_stops_the_worker_clearly() -> None:
    failures: list[errors.TiffinError] = []

    async def main() -> list[dict]:
        app = app_with_grpc()
        app.on_load_failed = failures.append
        assert app.grpc is not None
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", app.grpc.port))
            taken.listen()
            sent: list[dict] = []

            async def receive() -> dict:
                return {"type": "lifespan.startup"}

            async def send(message: dict) -> None:
                sent.append(message)

            await app.lifespan(receive, send)
        return sent

    sent = asyncio.run(main())
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    (failure,) = failures
    assert isinstance(failure, errors.ServerError)
    assert failure.message.startswith("cannot listen for gRPC on 127.0.0.1:")
