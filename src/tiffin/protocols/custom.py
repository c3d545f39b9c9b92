"""The model's custom endpoints (``endpoints(self, router)``) as routes: JSON in, JSON out.

Each handler runs as the model's own calls do (:meth:`DataPlane.call_endpoint`): a sync
one on the model's thread(s), an async one awaited, both within the timeout. What it
raises is answered as any route's error: a tiffin error with its status, anything else
500 with its type and message.
"""

from __future__ import annotations

import functools
from typing import Any

from tiffin.codecs import dumps_result
from tiffin.inference.dataplane import DataPlane
from tiffin.model.endpoints import Endpoint
from tiffin.model.handle import Stage
from tiffin.protocols.common import json_body
from tiffin.protocols.http import Request, Response, Route

PROTOCOL = "custom"


def custom_routes(dp: DataPlane, endpoints: list[Endpoint]) -> list[Route]:
    """One route per custom endpoint of the model served by ``dp``."""
    return [_route(dp, endpoint) for endpoint in endpoints]


def _route(dp: DataPlane, endpoint: Endpoint) -> Route:
    stage = Stage(endpoint.label, functools.partial(_apply, endpoint.handler), endpoint.is_async)

    async def handle(request: Request) -> Response:
        body = json_body(request) if request.body else None
        arguments = endpoint.arguments(body, request.query(), request.params)
        return Response(dumps_result(await dp.call_endpoint(stage, arguments)))

    takes_body = endpoint.body is not None and endpoint.method != "GET"
    return Route(endpoint.method, endpoint.path, handle, PROTOCOL, endpoint.summary,
                 request_types=("application/json",) if takes_body else (),
                 responses={400: "malformed JSON body", 500: "the handler raised"})  # fmt: skip


def _apply(handler: Any, arguments: dict[str, Any]) -> Any:
    return handler(**arguments)
