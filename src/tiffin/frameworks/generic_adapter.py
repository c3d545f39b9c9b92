"""The fallback for any other object with a ``predict`` method, or any callable: cloudpickle.

A cloudpickle file only loads under the Python version and library versions it was written
with, so packaging with this adapter warns; a framework's own format is always preferable.
Needs the ``generic`` extra (``pip install 'tiffin[generic]'``).
"""

from __future__ import annotations

import inspect
import platform
import warnings
from pathlib import Path
from typing import Any

from tiffin.errors import PackagingError
from tiffin.frameworks.base import Framework, SavedArtifact
from tiffin.frameworks.common import (
    check_probabilities,
    import_optional,
    installed_version,
    user_stacklevel,
)
from tiffin.frameworks.registry import register_framework
from tiffin.frameworks.templates import render_model_class

ARTIFACT = "model.pkl"


@register_framework
class GenericFramework(Framework):
    """Any object with a callable ``predict`` (or any callable instance), via cloudpickle."""

    name = "generic"
    distribution = "cloudpickle"
    priority = 10_000
    """Last: only when no framework adapter recognises the object."""

    @classmethod
    def detects(cls, model: Any) -> bool:
        if inspect.isclass(model) or inspect.ismodule(model):
            return False
        return callable(getattr(model, "predict", None)) or callable(model)

    def save(self, model: Any, model_dir: Path, *, probabilities: bool) -> SavedArtifact:
        check_probabilities(model, probabilities)
        cloudpickle = import_optional("cloudpickle", extra="generic")
        kind = f"{type(model).__module__}.{type(model).__qualname__}"
        warnings.warn(
            f"{kind} is packaged with cloudpickle: the package only loads under Python "
            f"{_python()} with the library versions pinned in requirements.txt; save the model "
            "in its framework's own format for a portable package",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        try:
            with open(model_dir / ARTIFACT, "wb") as file:
                cloudpickle.dump(model, file)
        except Exception as exc:
            raise PackagingError(
                f"cannot pickle {kind}: {type(exc).__name__}: {exc}",
                hint="write a model class that builds the model in load(), then tiffin serve it",
            ) from exc
        return SavedArtifact(files=(ARTIFACT,), options=_options(model, probabilities))

    def requirements(self, model: Any) -> list[str]:
        return ["cloudpickle", "numpy"]

    def model_class_source(self, artifact: SavedArtifact, *, class_name: str) -> str:
        options = artifact.options
        return render_model_class(
            "generic.py.jinja", class_name=class_name, artifact=artifact.files[0], **options
        )


def _python() -> str:
    return ".".join(platform.python_version_tuple()[:2])


def _options(model: Any, probabilities: bool) -> dict[str, Any]:
    return {
        "probabilities": probabilities,
        "has_predict": callable(getattr(model, "predict", None)),
        "model_type": type(model).__qualname__,
        "model_module": type(model).__module__,
        "cloudpickle_version": installed_version("cloudpickle"),
        "python_version": _python(),
    }
