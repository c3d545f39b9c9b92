"""Drive a TiffinApp in this process: its lifespan started, requests through httpx's ASGI
transport (no socket), its own metrics read back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tiffin.errors import TiffinError
from tiffin.inference.dataplane import DataPlane
from tiffin.model.handle import ModelHandle
from tiffin.server.app import TiffinApp
from tiffin.server.grpc_config import GrpcOptions

Scenario = Callable[[httpx.AsyncClient, TiffinApp], Awaitable[Any]]


def make_app(
    model_class: type,
    failures: list[TiffinError] | None = None,
    grpc: GrpcOptions | None = None,
) -> TiffinApp:
    """An app serving ``model_class`` as model ``m`` version 2; start failures go to
    ``failures``."""
    sink = failures if failures is not None else []
    handle = ModelHandle(model_class, name="m", version="2")
    return TiffinApp(DataPlane(handle, timeout=5), on_load_failed=sink.append, console=False,
                     grpc=grpc)  # fmt: skip


def run(app: TiffinApp, scenario: Scenario) -> Any:
    """Start ``app`` (metrics, reporter, model load, custom endpoints), run ``scenario``
    with a client, shut it down."""

    async def main() -> Any:
        await (await app.startup())
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
                return await scenario(client, app)
        finally:
            await app.shutdown()

    return asyncio.run(main())


def ask(model_class: type, *requests: tuple[str, str, dict]) -> list[httpx.Response]:
    """Serve ``model_class`` and send ``(method, path, httpx options)`` requests in order."""

    async def scenario(client: httpx.AsyncClient, app: TiffinApp) -> list[httpx.Response]:
        return [await client.request(method, path, **options) for method, path, options in requests]

    return run(make_app(model_class), scenario)


def exposition(app: TiffinApp) -> str:
    """What ``GET /metrics`` would answer."""
    assert app.metrics is not None
    return app.metrics.render().decode()
