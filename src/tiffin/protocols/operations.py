"""Operations: Prometheus ``/metrics``, ``/healthz`` and the OpenAPI document."""

from __future__ import annotations

from tiffin.inference.repository import ModelRepository
from tiffin.protocols.context import ServerContext
from tiffin.protocols.http import Request, Response, Route, json_response

PROTOCOL = "operations"


def routes(models: ModelRepository, ctx: ServerContext) -> list[Route]:
    """The operational routes."""

    async def metrics(request: Request) -> Response:
        if ctx.render_metrics is None:
            return Response(b"", 404, "text/plain")
        body, content_type = ctx.render_metrics()
        return Response(body, 200, content_type)

    async def healthz(request: Request) -> Response:
        dp = models.single
        if dp is not None:
            return json_response({"live": True, "ready": dp.ready, "model": dp.name,
                                  "state": dp.state.value})  # fmt: skip
        states = {entry["name"]: entry["state"] for entry in models.index()}
        return json_response({"live": True, "ready": models.ready, "models": states})

    async def openapi(request: Request) -> Response:
        return json_response(ctx.openapi())

    return [
        Route("GET", "/metrics", metrics, PROTOCOL, "Prometheus metrics of every worker",
              response_types=("text/plain",)),
        Route("GET", "/healthz", healthz, PROTOCOL, "Liveness and the model's state"),
        Route("GET", "/openapi.json", openapi, PROTOCOL, "This document"),
    ]  # fmt: skip
