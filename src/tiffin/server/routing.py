"""Match a method and path to a :class:`Route`: a dict for literal paths, regexes for templates."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tiffin.protocols.http import Route

_PARAM = re.compile(r"\{(\w+)\}")


class MethodNotAllowed(Exception):
    """The path exists but not for this method."""

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = allowed


class Router:
    """Find the route for a request in O(1) for literal paths, in order for templates."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes: list[Route] = []
        self._literal: dict[str, dict[str, Route]] = {}
        self._templates: list[tuple[re.Pattern[str], dict[str, Route]]] = []
        self.extend(routes)

    def extend(self, routes: Iterable[Route]) -> None:
        """Add ``routes`` (a model's custom endpoints, checked with :meth:`taken` first)."""
        self.routes += list(routes)
        self._index()

    def taken(self, method: str, path: str) -> Route | None:
        """The route with this method and path (whatever its parameters are named), if any."""
        shape = _shape(path)
        for route in self.routes:
            if route.method == method and _shape(route.path) == shape:
                return route
        return None

    def _index(self) -> None:
        """Rebuild the lookup tables from :attr:`routes`."""
        self._literal = {}
        by_template: dict[str, dict[str, Route]] = {}
        for route in self.routes:
            if "{" in route.path:
                by_template.setdefault(route.path, {})[route.method] = route
            else:
                self._literal.setdefault(route.path, {})[route.method] = route
        self._templates = [(compile_template(t), methods) for t, methods in by_template.items()]

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route and path parameters for a request, or None if no path matches.

        Raises MethodNotAllowed if the path matches but not the method.
        """
        methods = self._literal.get(path)
        params: dict[str, str] = {}
        if methods is None:
            for pattern, candidate in self._templates:
                found = pattern.fullmatch(path)
                if found is not None:
                    methods, params = candidate, found.groupdict()
                    break
            else:
                return None
        route = methods.get(method) or (methods.get("GET") if method == "HEAD" else None)
        if route is None:
            raise MethodNotAllowed(sorted(methods))
        return route, params


def describe(route: Route) -> str:
    """``the kserve_v1 route GET /v1/models``: a route as error messages name it."""
    return f"the {route.protocol} route {route.method} {route.path}"


def _shape(path: str) -> str:
    """A path with its parameter names blanked: ``/a/{x}`` and ``/a/{y}`` are one route."""
    return _PARAM.sub("{}", path)


def compile_template(template: str) -> re.Pattern[str]:
    """``/v2/models/{name}/infer`` -> a regex with a named group per ``{param}``."""
    pattern = ""
    position = 0
    for found in _PARAM.finditer(template):
        pattern += re.escape(template[position : found.start()])
        pattern += f"(?P<{found.group(1)}>[^/:]+)"
        position = found.end()
    pattern += re.escape(template[position:])
    return re.compile(pattern)
