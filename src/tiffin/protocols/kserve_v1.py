"""KServe V1: list models, model readiness, and ``:predict`` with instances/inputs."""

from __future__ import annotations

from typing import Any

from tiffin.codecs import dumps_result
from tiffin.errors import InvalidInput, ModelNotReady
from tiffin.inference.repository import ModelRepository
from tiffin.protocols.common import json_body, prefers_html
from tiffin.protocols.context import ServerContext
from tiffin.protocols.http import Request, Response, Route, json_response
from tiffin.protocols.messages import names_of

PROTOCOL = "kserve_v1"


def unwrap_instances(body: Any) -> Any:
    """The model inputs of a V1 body: ``instances`` (rows) or ``inputs`` (columns)."""
    if not isinstance(body, dict):
        raise InvalidInput('expected a JSON object with "instances" or "inputs"')
    if "instances" in body:
        instances = body["instances"]
        if not isinstance(instances, list):
            raise InvalidInput('"instances" must be a list')
        return instances
    if "inputs" in body:
        return body["inputs"]
    raise InvalidInput(
        'missing "instances" (or "inputs") in the request body',
        hint='send {"instances": [[...], ...]}',
    )


def wrap_predictions(result: Any) -> Any:
    """``{"predictions": result}`` unless the model already returned that shape."""
    if isinstance(result, dict) and "predictions" in result:
        return result
    return {"predictions": result}


def routes(models: ModelRepository, ctx: ServerContext) -> list[Route]:
    """The KServe V1 routes over the served ``models``."""

    async def liveness(request: Request) -> Response:
        if ctx.home_page is not None and prefers_html(request.header(b"accept")):
            return await ctx.home_page(request)
        return json_response({"status": "alive"})

    async def list_models(request: Request) -> Response:
        return json_response({"models": models.names})

    async def model_ready(request: Request) -> Response:
        name = request.params["name"]
        if not models.lookup(name).ready:
            raise ModelNotReady(name)
        return json_response({"name": name, "ready": True})

    async def predict(request: Request) -> Response:
        dp = models.lookup(request.params["name"])
        body = json_body(request)
        inputs = unwrap_instances(body)
        names = names_of(body) if dp.takes_names else None
        result = await dp.infer(inputs, request_id=request.identify(), names=names)
        return Response(dumps_result(wrap_predictions(result)))

    return [
        Route("GET", "/", liveness, PROTOCOL,
              'Liveness: {"status": "alive"}; a browser asking for HTML gets the console'),
        Route("GET", "/v1/models", list_models, PROTOCOL, "Names of the served models"),
        Route("GET", "/v1/models/{name}", model_ready, PROTOCOL,
              "Model readiness: 200 when loaded, 503 while loading, 404 if unknown",
              responses={404: "unknown model", 503: "model still loading"}),
        Route("POST", "/v1/models/{name}:predict", predict, PROTOCOL,
              'Predict: {"instances": [...]} or {"inputs": ...} (and "names", for a predict '
              'taking them) in, {"predictions": [...]} out',
              request_types=("application/json",),
              responses={400: "malformed body", 404: "unknown model"}),
    ]  # fmt: skip
