"""The Open Inference Protocol's model repository extension, over REST.

==========================================  ================================================
``POST /v2/repository/index``               every model: ``[{"name", "version", "state",
                                            "reason"}]``, state READY, LOADING or
                                            UNAVAILABLE (failed, with the reason, or
                                            unloaded); ``{"ready": true}`` lists ready ones
``POST /v2/repository/models/{name}/load``  load it again (after an unload or a failure);
                                            answers once it has loaded, or its error
``POST /v2/repository/models/{name}/unload``  stop serving it and release it
==========================================  ================================================

Loading and unloading are refused (409) by a server of one package and by one running
several workers (:attr:`tiffin.inference.repository.ModelRepository.changes_refused`).
"""

from __future__ import annotations

from tiffin.codecs import loads
from tiffin.errors import InvalidInput
from tiffin.inference.repository import ModelRepository
from tiffin.protocols.context import ServerContext
from tiffin.protocols.http import Request, Response, Route, json_response

PROTOCOL = "oip_v2"


def routes(models: ModelRepository, ctx: ServerContext) -> list[Route]:
    """The repository extension's routes over ``models``."""

    async def index(request: Request) -> Response:
        body = loads(request.body) if request.body.strip() else {}
        if not isinstance(body, dict):
            raise InvalidInput('the index request is a JSON object such as {"ready": true}')
        return json_response(models.index(ready_only=bool(body.get("ready", False))))

    async def load(request: Request) -> Response:
        name = request.params["name"]
        await models.load(name)
        return json_response({"name": name, "load": True})

    async def unload(request: Request) -> Response:
        name = request.params["name"]
        models.unload(name)
        return json_response({"name": name, "unload": True})

    changes = {404: "unknown model", 409: "the server cannot change its models now",
               503: "the model failed to load"}  # fmt: skip
    return [
        Route("POST", "/v2/repository/index", index, PROTOCOL,
              "Repository index: name, version, state (READY, LOADING, UNAVAILABLE), reason"),
        Route("POST", "/v2/repository/models/{name}/load", load, PROTOCOL,
              "Load a model of the repository (again); answers once loaded", responses=changes),
        Route("POST", "/v2/repository/models/{name}/unload", unload, PROTOCOL,
              "Unload a model of the repository", responses=changes),
    ]  # fmt: skip
