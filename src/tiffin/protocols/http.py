"""The minimal HTTP vocabulary tiffin's ASGI app speaks: a request, a response, a route.

Deliberately tiny: every allocation here sits on the hot path of each request.
"""

from __future__ import annotations

import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson

from tiffin.errors import PayloadTooLarge
from tiffin.types import Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
MAX_REQUEST_ID = 200
"""A longer request id is cut to this many characters."""
_NOT_HEADER_SAFE = re.compile(r"[^\x21-\x7e]")


class Request:
    """One HTTP request: method, path, matched path parameters, headers and body.

    ``request_id`` is None until a handler that runs the model asks for it
    (:meth:`identify`); the app then returns it in the ``X-Request-Id`` header.
    """

    __slots__ = ("body", "method", "params", "path", "request_id", "scope")

    def __init__(self, scope: Scope, body: bytes, params: dict[str, str]) -> None:
        self.scope = scope
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.params = params
        self.body = body
        self.request_id: str | None = None

    def identify(self, given: Any = None) -> str:
        """The request's id: its ``X-Request-Id`` header, else ``given`` (the Open Inference
        Protocol's ``id``), else 32 random hex digits; fixed on first call. Characters a
        header cannot carry become ``_``."""
        if self.request_id is None:
            chosen = self.header(REQUEST_ID_HEADER) or (str(given) if given else None)
            if chosen:
                self.request_id = _NOT_HEADER_SAFE.sub("_", chosen[:MAX_REQUEST_ID])
            else:
                self.request_id = f"{random.getrandbits(128):032x}"
        return self.request_id

    def query(self) -> dict[str, str]:
        """The query string as a dict (the last value of a repeated key wins)."""
        raw = self.scope.get("query_string") or b""
        return dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))

    def header(self, name: bytes) -> str | None:
        """The value of a header, given its lower-case name as bytes."""
        for key, value in self.scope["headers"]:
            if key == name:
                return value.decode("latin-1")
        return None


class Response:
    """A complete HTTP response; ``headers`` are extra (name, value) byte pairs."""

    __slots__ = ("body", "content_type", "headers", "status")

    def __init__(
        self,
        body: bytes = b"",
        status: int = 200,
        content_type: str = "application/json",
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.body = body
        self.status = status
        self.content_type = content_type
        self.headers = headers

    async def send_to(self, send: Send) -> None:
        """Write this response to an ASGI ``send`` channel."""
        headers = [
            (b"content-type", self.content_type.encode("latin-1")),
            (b"content-length", str(len(self.body)).encode()),
        ]
        if self.headers:
            headers.extend(self.headers)
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


def json_response(value: Any, status: int = 200) -> Response:
    """A JSON response from a value orjson can serialize natively."""
    return Response(orjson.dumps(value), status)


Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Route:
    """One endpoint: HTTP method, path template, handler, and what to document about it.

    ``path`` is literal, or a template with ``{name}`` segments; ``protocol`` labels
    the route in metrics and groups it in the OpenAPI document.
    """

    method: str
    path: str
    handler: Handler
    protocol: str
    summary: str
    request_types: tuple[str, ...] = ()
    response_types: tuple[str, ...] = ("application/json",)
    responses: dict[int, str] = field(default_factory=dict)


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """Read the whole request body, refusing more than ``limit`` bytes."""
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                declared = 0
            if declared > limit:
                raise PayloadTooLarge(declared, limit)
            break
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > limit:
            raise PayloadTooLarge(len(body), limit)
        return body
    chunks = [body]
    size = len(body)
    while message.get("more_body", False):
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)
