"""Small helpers shared by the protocol adapters."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from tiffin.codecs import loads, media_type
from tiffin.codecs.registry import accept_quality
from tiffin.errors import UnsupportedMediaType
from tiffin.protocols.http import Request

JSON_TYPES = ("application/json",)
LENIENT_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded"})
"""Read as JSON too: what `curl -d` and bare clients send for a JSON-only route."""


def require_media_type(
    request: Request, accepted: Collection[str], *, also: Collection[str] = ()
) -> None:
    """Refuse (415) a body whose Content-Type is neither ``accepted`` nor ``also``.

    A request without a Content-Type is let through.
    """
    content_type = request.header(b"content-type")
    if not content_type:
        return
    media = media_type(content_type)
    if media in accepted or media in also:
        return
    raise UnsupportedMediaType(content_type, list(accepted))


def json_body(request: Request) -> Any:
    """Parse a JSON request body, refusing bodies sent with a non-JSON Content-Type."""
    content_type = request.header(b"content-type")
    if not (content_type and media_type(content_type).endswith("+json")):
        require_media_type(request, JSON_TYPES, also=LENIENT_TYPES)
    return loads(request.body)


def prefers_html(accept: str | None) -> bool:
    """True for a browser: an Accept header naming ``text/html`` and ranking it above JSON.

    ``*/*``, ``application/json`` or no Accept at all is False.
    """
    if not accept or "text/html" not in accept.lower():
        return False
    return accept_quality(accept, "text/html") > accept_quality(accept, "application/json")
