"""SageMaker multi-model endpoints (``SAGEMAKER_MULTI_MODEL=true``): load, list, invoke and
unload models at run time.

==============================  ============================================================
``POST /models``                ``{"model_name", "url"}``: load the package at ``url`` (a
                                path) as ``model_name``; 409 if loaded already
``GET /models``                 ``{"models": [{"modelName", "modelUrl"}]}``
``GET /models/{name}``          ``{"modelName", "modelUrl"}``; 404 if not loaded
``DELETE /models/{name}``       unload it; 404 if not loaded
``POST /models/{name}/invoke``  an invocation of that model, as ``/invocations``
==============================  ============================================================
"""

from __future__ import annotations

from typing import Any

from tiffin.errors import InvalidInput
from tiffin.inference.repository import ModelRepository
from tiffin.protocols.common import json_body
from tiffin.protocols.context import ServerContext
from tiffin.protocols.http import Request, Response, Route, json_response
from tiffin.protocols.sagemaker import INVOCATION_TYPES, invoke

PROTOCOL = "sagemaker"
EXAMPLE = '{"model_name": "iris", "url": "/opt/ml/models/iris/model"}'


def routes(models: ModelRepository, ctx: ServerContext) -> list[Route]:
    """The multi-model endpoints' routes over ``models``."""

    def described(name: str) -> dict[str, Any]:
        return {"modelName": name, "modelUrl": models.slots[name].url}

    async def load(request: Request) -> Response:
        name, url = _load_request(json_body(request))
        await models.add(name, url)
        return json_response({"status": f"model {name!r} loaded"})

    async def list_models(request: Request) -> Response:
        return json_response({"models": [described(name) for name in models.names]})

    async def describe(request: Request) -> Response:
        name = request.params["name"]
        models.lookup(name)
        return json_response(described(name))

    async def unload(request: Request) -> Response:
        name = request.params["name"]
        models.unload(name)
        return json_response({"status": f"model {name!r} unloaded"})

    async def invoke_model(request: Request) -> Response:
        return await invoke(models.lookup(request.params["name"]), request, ctx)

    changes = {400: "malformed request", 404: "not loaded",
               409: "loaded already, or the server runs several workers"}  # fmt: skip
    return [
        Route("POST", "/models", load, PROTOCOL,
              'Multi-model endpoints: load {"model_name", "url"} (a package path)',
              request_types=("application/json",), responses=changes),
        Route("GET", "/models", list_models, PROTOCOL, "Multi-model endpoints: loaded models"),
        Route("GET", "/models/{name}", describe, PROTOCOL, "Multi-model endpoints: one model",
              responses={404: "not loaded"}),
        Route("DELETE", "/models/{name}", unload, PROTOCOL, "Multi-model endpoints: unload",
              responses=changes),
        Route("POST", "/models/{name}/invoke", invoke_model, PROTOCOL,
              "Multi-model endpoints: predict with one model, as /invocations",
              request_types=INVOCATION_TYPES, response_types=INVOCATION_TYPES,
              responses={400: "malformed body", 404: "not loaded"}),
    ]  # fmt: skip


def _load_request(body: Any) -> tuple[str, str]:
    """The ``model_name`` and ``url`` of a ``POST /models`` body."""
    if not isinstance(body, dict):
        raise InvalidInput("the body is a JSON object", hint=f"send {EXAMPLE}")
    name, url = body.get("model_name"), body.get("url")
    if not isinstance(name, str) or not name or not isinstance(url, str) or not url:
        raise InvalidInput('the body needs "model_name" and "url" (text)', hint=f"send {EXAMPLE}")
    return name, url
