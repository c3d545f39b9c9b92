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
        self.routes = list(routes)
        self._literal: dict[str, dict[str, Route]] = {}
        self._templates: list[tuple[re.Pattern[str], dict[str, Route]]] = []
        by_template: dict[str, dict[str, Route]] = {}
        for route in self.routes:
            if "{" in route.path:
                by_template.setdefault(route.path, {})[route.method] = route
            else:
                self._literal.setdefault(route.path, {})[route.method] = route
        for template, methods in by_template.items():
            self._templates.append((compile_template(template), methods))

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
