"""Custom endpoints: the routes a model class adds with ``endpoints(self, router)``.

::

    class Churn:
        def endpoints(self, router):
            router.add("GET", "/stats", self.stats)          # or as decorators:

            @router.post("/explain")
            async def explain(body):                         # sync or async
                return {"why": self.explain(body["rows"])}

A handler receives, by the names of its parameters: the parsed JSON body (its first
parameter, ``None`` for an empty body), ``query`` (the query string as a dict) and the
``{name}`` segments of its path; it returns anything JSON can hold. Nothing here knows
HTTP: the server turns each :class:`Endpoint` into a route
(:mod:`tiffin.protocols.custom`).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tiffin.errors import ContractError
from tiffin.model.contract import describe, is_async

__all__ = ["METHODS", "Endpoint", "EndpointRouter"]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PATH = re.compile(r"/(?:[A-Za-z0-9._~!$&'()*+,;=:@%-]+|\{[A-Za-z_]\w*\}|/)*")
_PARAM = re.compile(r"\{(\w+)\}")
QUERY = "query"
"""The parameter of a handler that receives the query string."""

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Endpoint:
    """One custom route: method, path, the user's handler, and how to call it."""

    method: str
    path: str
    handler: Handler
    summary: str
    body: str | None
    """The parameter receiving the JSON body, if the handler has one."""
    wants_query: bool
    is_async: bool

    @property
    def handler_name(self) -> str:
        """``Churn.stats``: the handler as error messages name it."""
        return str(getattr(self.handler, "__qualname__", repr(self.handler)))

    @property
    def label(self) -> str:
        """``GET /stats (Churn.stats)``: how errors name the endpoint."""
        return f"{self.method} {self.path} ({self.handler_name})"

    def arguments(self, body: Any, query: dict[str, str], params: dict[str, str]) -> dict:
        """The keyword arguments of one call."""
        arguments: dict[str, Any] = dict(params)
        if self.body is not None:
            arguments[self.body] = body
        if self.wants_query:
            arguments[QUERY] = query
        return arguments


class EndpointRouter:
    """What ``endpoints(self, router)`` receives: ``add`` routes, or decorate handlers."""

    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []

    def add(self, method: str, path: str, handler: Handler, summary: str | None = None) -> None:
        """Serve ``handler`` at ``method path``; raises ContractError for a bad one."""
        verb = method.upper() if isinstance(method, str) else method
        if verb not in METHODS:
            raise ContractError(f"custom endpoint {method!r} {path!r}: the method must be "
                                f"one of {', '.join(METHODS)}")  # fmt: skip
        if not isinstance(path, str) or not PATH.fullmatch(path) or path.startswith("//"):
            raise ContractError(
                f"custom endpoint {verb} {path!r}: a path starts with '/' and holds URL "
                "characters and {name} segments",
                hint="e.g. router.add('GET', '/stats', self.stats) or '/items/{item_id}'",
            )
        if not callable(handler):
            raise ContractError(f"custom endpoint {verb} {path}: {handler!r} is not callable")
        for known in self.endpoints:
            if (known.method, _shape(known.path)) == (verb, _shape(path)):
                raise ContractError(f"custom endpoint {verb} {path} is added twice "
                                    f"({known.label})")  # fmt: skip
        body, wants_query = _plan(verb, path, handler)
        text = summary or _first_line(handler) or f"{verb} {path}, added by the model"
        self.endpoints.append(Endpoint(verb, path, handler, text, body, wants_query,
                                       is_async(handler)))  # fmt: skip

    def route(self, path: str, methods: Iterable[str] = ("GET",)) -> Callable[[Handler], Handler]:
        """Decorator serving a handler at ``path`` for ``methods`` (Flask's spelling)."""

        def register(handler: Handler) -> Handler:
            for method in methods:
                self.add(method, path, handler)
            return handler

        return register

    def get(self, path: str) -> Callable[[Handler], Handler]:
        """Decorator: ``@router.get("/stats")``."""
        return self.route(path, ("GET",))

    def post(self, path: str) -> Callable[[Handler], Handler]:
        """Decorator: ``@router.post("/explain")``."""
        return self.route(path, ("POST",))

    def put(self, path: str) -> Callable[[Handler], Handler]:
        """Decorator: ``@router.put("/threshold")``."""
        return self.route(path, ("PUT",))

    def delete(self, path: str) -> Callable[[Handler], Handler]:
        """Decorator: ``@router.delete("/cache")``."""
        return self.route(path, ("DELETE",))


def _plan(method: str, path: str, handler: Handler) -> tuple[str | None, bool]:
    """Which parameter takes the body, and whether one takes the query; ContractError if
    the handler asks for something else."""
    try:
        params = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        return "body", False  # no signature: assume handler(body)
    segments = set(_PARAM.findall(path))
    body = None
    for param in params:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.name in segments or param.name == QUERY:
            continue
        if body is None and param.kind is not param.KEYWORD_ONLY:
            body = param.name
        elif param.default is param.empty:
            raise ContractError(
                f"custom endpoint {method} {path}: {describe(handler)} asks for "
                f"{param.name!r}, which no request gives",
                hint="a handler takes the JSON body (first parameter), `query` and the "
                "{name} segments of its path",
            )
    names = {param.name for param in params}
    missing = segments - names
    if missing and not any(param.kind is param.VAR_KEYWORD for param in params):
        raise ContractError(f"custom endpoint {method} {path}: {describe(handler)} has no "
                            f"parameter for {', '.join(sorted(missing))}")  # fmt: skip
    return body, QUERY in names


def _shape(path: str) -> str:
    """A path with its parameter names blanked: ``/a/{x}`` and ``/a/{y}`` are one route."""
    return _PARAM.sub("{}", path)


def _first_line(handler: Handler) -> str:
    doc = inspect.getdoc(handler) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""
