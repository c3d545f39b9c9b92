"""Build an OpenAPI 3 document describing every route the server answers."""

from __future__ import annotations

import re
from typing import Any

from tiffin.protocols.http import Route
from tiffin.version import __version__

_PARAM = re.compile(r"\{(\w+)\}")


def openapi_document(routes: list[Route], title: str) -> dict[str, Any]:
    """An OpenAPI 3.1 document of ``routes``, grouped by protocol tag."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "tags": [route.protocol],
            "operationId": f"{route.method.lower()}_{_slug(route.path)}",
            "responses": _responses(route),
        }
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PARAM.findall(route.path)
        ]
        if parameters:
            operation["parameters"] = parameters
        if route.request_types:
            operation["requestBody"] = {
                "required": True,
                "content": {media: {} for media in route.request_types},
            }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": __version__},
        "paths": paths,
        "components": {"schemas": {"Error": _ERROR_SCHEMA}},
    }


_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "hint": {"type": "string"}},
}


def _responses(route: Route) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": {media: {} for media in route.response_types}}
    }
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for status, description in sorted(route.responses.items()):
        responses[str(status)] = {"description": description, "content": error_ref}
    return responses


def _slug(path: str) -> str:
    """``/v2/models/{name}/infer`` -> ``v2_models_name_infer``; a trailing slash is kept as
    ``_dir`` (``/console/`` and ``/console`` are two routes)."""
    slug = re.sub(r"[^a-zA-Z0-9]+", "_", path).strip("_") or "root"
    return f"{slug}_dir" if len(path) > 1 and path.endswith("/") else slug
