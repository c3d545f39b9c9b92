"""tiffin: take a machine-learning model from a notebook to production."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tiffin.version import __version__

__all__ = [
    "ModelHandle",
    "Package",
    "__version__",
    "build_image",
    "errors",
    "load",
    "package",
]

if TYPE_CHECKING:
    from tiffin.build.builder import BuiltImage
    from tiffin.model.handle import ModelHandle
    from tiffin.packaging import Package, package


def load(path: Any = ".", **kwargs: Any) -> ModelHandle:
    """Load a package (dir, tiffin.yaml, pyproject.toml or .py file) and return its model.

    ``tiffin.load("iris_pkg").predict([[5.1, 3.5, 1.4, 0.2]])`` runs
    preprocess -> predict -> postprocess in this process, as the server would.
    """
    from tiffin.model.loader import load as _load

    return _load(path, **kwargs)


def build_image(path: Any = ".", **kwargs: Any) -> BuiltImage:
    """Build the container image of a package, setuptools project or sdist; return it.

    ``tiffin.build_image("iris", tag="iris:1", engine="podman", hermetic=True)``; see
    :func:`tiffin.build.builder.build_image` for every option.
    """
    from tiffin.build.builder import build_image as _build_image

    return _build_image(path, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "ModelHandle":
        from tiffin.model.handle import ModelHandle

        return ModelHandle
    if name in ("Package", "package"):
        import tiffin.packaging

        return getattr(tiffin.packaging, name)
    if name == "errors":
        import tiffin.errors

        return tiffin.errors
    raise AttributeError(f"module 'tiffin' has no attribute {name!r}")
