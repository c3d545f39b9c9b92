"""tiffin: take a machine-learning model from a notebook to production."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["ModelHandle", "__version__", "errors", "load"]

if TYPE_CHECKING:
    from tiffin.model.handle import ModelHandle


def load(path: Any = ".", **kwargs: Any) -> ModelHandle:
    """Load a package (dir, tiffin.yaml, pyproject.toml or .py file) and return its model.

    ``tiffin.load("iris_pkg").predict([[5.1, 3.5, 1.4, 0.2]])`` runs
    preprocess -> predict -> postprocess in this process, as the server would.
    """
    from tiffin.model.loader import load as _load

    return _load(path, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "ModelHandle":
        from tiffin.model.handle import ModelHandle

        return ModelHandle
    if name == "errors":
        import tiffin.errors

        return tiffin.errors
    raise AttributeError(f"module 'tiffin' has no attribute {name!r}")
