"""Small helpers shared by the protocol adapters."""

from __future__ import annotations

from typing import Any

from tiffin.codecs import loads
from tiffin.errors import UnsupportedMediaType
from tiffin.server.http import Request

JSON_TYPES = ("application/json",)
LENIENT_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded"})
"""Read as JSON too: what `curl -d` and bare clients send for a JSON-only route."""


def json_body(request: Request) -> Any:
    """Parse a JSON request body, refusing bodies sent with a non-JSON Content-Type."""
    content_type = request.header(b"content-type")
    if content_type:
        media = content_type.split(";", 1)[0].strip().lower()
        if (
            media != "application/json"
            and not media.endswith("+json")
            and (media not in LENIENT_TYPES)
        ):
            raise UnsupportedMediaType(content_type, list(JSON_TYPES))
    return loads(request.body)
