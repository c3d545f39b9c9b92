"""The console's bundled files, read once, served with an ETag and revalidated by browsers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from tiffin.protocols.http import Request, Response

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
REVALIDATE = (b"cache-control", b"no-cache")
"""Browsers may keep a file but must ask (If-None-Match) before using it again."""
NO_SNIFF = (b"x-content-type-options", b"nosniff")


@dataclass(frozen=True)
class Asset:
    """One bundled file: its name, bytes, content type and entity tag."""

    name: str
    body: bytes
    content_type: str
    etag: str

    @classmethod
    def of(cls, name: str, body: bytes) -> Asset:
        """An asset whose ETag is a digest of ``body``."""
        suffix = name[name.rfind(".") :]
        digest = hashlib.sha256(body).hexdigest()[:20]
        return cls(name, body, CONTENT_TYPES[suffix], f'"{digest}"')


@cache
def assets() -> dict[str, Asset]:
    """Every file of ``tiffin/console/static`` with a known type, by name."""
    folder = resources.files("tiffin.console") / "static"
    found = {}
    for entry in folder.iterdir():
        suffix = entry.name[entry.name.rfind(".") :]
        if entry.is_file() and suffix in CONTENT_TYPES:
            found[entry.name] = Asset.of(entry.name, entry.read_bytes())
    return found


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """True if an If-None-Match header names ``etag`` (weakly) or is ``*``."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


def asset_response(
    request: Request, asset: Asset, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> Response:
    """``asset`` with its ETag, or 304 Not Modified when the browser already holds it."""
    headers = [(b"etag", asset.etag.encode()), REVALIDATE, NO_SNIFF, *extra]
    if etag_matches(request.header(b"if-none-match"), asset.etag):
        return Response(b"", 304, asset.content_type, headers)
    return Response(asset.body, 200, asset.content_type, headers)
