"""A package directory written by :func:`tiffin.package`: predict, serve and build it.

Everything here reads the directory, never the in-memory model it was made from, so
``Package.predict`` tests exactly what ``tiffin serve`` will serve.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffin.model.handle import ModelHandle
from tiffin.packaging.local_server import LocalServer, start_server
from tiffin.spec import ProjectSpec, load_spec

if TYPE_CHECKING:
    from tiffin.build.builder import BuiltImage

SERVING_MODULE = "serving"
"""The module at the package root holding the generated model class."""
METADATA_FILE = ".tiffin/package.json"
"""How the package was made: framework, versions, creation time."""


def build_command(path: str | os.PathLike[str], name: str, version: str) -> str:
    """The shell command that builds the image of the package at ``path``.

    It is ``tiffin build``, not ``docker build``: a package directory holds no
    Dockerfile; tiffin renders one (two, with the dependencies image) and runs docker,
    podman or buildah on it. The tag is the one ``tiffin build`` gives by default.
    """
    from tiffin.spec.tags import default_tag

    return f"tiffin build {shlex.quote(str(path))} --tag {default_tag(name, version)}"


class Package:
    """A package directory: ``Package("iris_pkg").predict([[5.1, 3.5, 1.4, 0.2]])``.

    Returned by :func:`tiffin.package`; ``Package(path)`` opens one written earlier.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).absolute()
        self._handle: ModelHandle | None = None

    @cached_property
    def spec(self) -> ProjectSpec:
        """The package's validated ``tiffin.yaml``."""
        return load_spec(self.path).spec

    @cached_property
    def metadata(self) -> dict[str, Any]:
        """``.tiffin/package.json``: framework, distributions, Python, tiffin version, date."""
        file = self.path / METADATA_FILE
        if not file.is_file():
            return {}
        return json.loads(file.read_text())

    @property
    def framework(self) -> str | None:
        """The framework adapter that wrote the package, e.g. ``"sklearn"``."""
        return self.metadata.get("framework")

    def predict(self, inputs: Any) -> Any:
        """Run preprocess -> predict -> postprocess from the directory, as the server would.

        The model is loaded from disk on the first call and kept for the next ones; a new
        ``Package(path)`` imports the package's code again, so it sees your edits.
        """
        if self._handle is None:
            from tiffin.model.loader import load

            self._forget_imported_code()
            self._handle = load(self.path)
        return self._handle.predict(inputs)

    def _forget_imported_code(self) -> None:
        """Drop this package's model module if an earlier load imported it, so edits count."""
        module = (self.spec.model or "").partition(":")[0]
        cached = sys.modules.get(module)
        origin = getattr(cached, "__file__", None)
        if origin and Path(origin).resolve().is_relative_to(self.path.resolve()):
            del sys.modules[module]

    def serve(self, port: int | None = None, **settings: Any) -> LocalServer:
        """Start ``tiffin serve`` on 127.0.0.1 (a free port by default); return once ready.

        ``settings`` are server settings (``workers=2``, ``timeout=5``, ...); it serves
        HTTP only unless ``grpc_port`` is one of them. Stop the server with ``.stop()``,
        or use it as a context manager.
        """
        return start_server(self.path, port, **settings)

    @property
    def docker_build_string(self) -> str:
        """The shell command that builds this package's image, to paste into a terminal.

        ``tiffin build PATH --tag NAME:VERSION``, which renders the Dockerfile and runs the
        installed engine (docker, podman or buildah); ``docker run -p 8080:8080 NAME:VERSION``
        then serves the model.
        """
        return build_command(self.path, self.spec.name, self.spec.version)

    def build(self, tag: str | None = None, **options: Any) -> BuiltImage:
        """Build this package's image, as :attr:`docker_build_string` would.

        ``tag`` defaults to ``NAME:VERSION``; ``options`` go to :func:`tiffin.build_image`
        (``engine``, ``hermetic``, ``base_image``, ``no_cache``, ``stream``).
        """
        from tiffin.build.builder import build_image

        return build_image(self.path, tag=tag, **options)

    def __repr__(self) -> str:
        framework = f", framework={self.framework!r}" if self.framework else ""
        return f"Package({str(self.path)!r}{framework})"
