"""The console's routes: the page, its static files and the models' JSON."""

from __future__ import annotations

from tiffin.codecs import dumps
from tiffin.console.assets import asset_response, assets
from tiffin.console.summary import models_summary
from tiffin.inference.repository import ModelRepository
from tiffin.protocols.context import ServerContext
from tiffin.protocols.http import Request, Response, Route, json_response

PROTOCOL = "console"
PAGE = "index.html"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The page may load and fetch from its own server only."""
PAGE_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"vary", b"accept"),  # GET / answers JSON or this page by Accept
)


async def page(request: Request) -> Response:
    """The console page (``GET /console``, and ``GET /`` for a browser)."""
    return asset_response(request, assets()[PAGE], PAGE_HEADERS)


async def to_page(request: Request) -> Response:
    """``GET /console/`` moves to ``/console``, where the page's relative links resolve."""
    return Response(b"", 308, "text/plain", [(b"location", b"/console")])


def routes(models: ModelRepository, ctx: ServerContext) -> list[Route]:
    """The console's routes over the served ``models``."""

    async def static(request: Request) -> Response:
        name = request.params["file"]
        asset = assets().get(name)
        if asset is None or name == PAGE:
            return json_response({"error": f"the console has no file {name!r}"}, 404)
        return asset_response(request, asset)

    async def models_json(request: Request) -> Response:
        body = dumps(models_summary(models, ctx))
        return Response(body, headers=[(b"cache-control", b"no-store")])

    return [
        Route("GET", "/console", page, PROTOCOL,
              "The browser console: try the model, watch its traffic",
              response_types=("text/html",)),
        Route("GET", "/console/", to_page, PROTOCOL, "Moved to /console",
              responses={308: "moved to /console"}),
        Route("GET", "/console/static/{file}", static, PROTOCOL,
              "The console's CSS, JavaScript and icon (ETag, revalidated)",
              response_types=("text/css", "text/javascript", "image/svg+xml"),
              responses={404: "no such file"}),
        Route("GET", "/console/api/models", models_json, PROTOCOL,
              "The served models: name, version, state (loading, ready, failed and why), "
              "framework, declared inputs and outputs, example input"),
    ]  # fmt: skip
