"""Small checks shared by the framework adapters, raising :class:`PackagingError`."""

from __future__ import annotations

import importlib
import sys
from importlib import metadata
from types import ModuleType
from typing import Any

from tiffin.errors import PackagingError


def import_optional(module: str, *, extra: str, distribution: str | None = None) -> ModuleType:
    """Import ``module``, or raise PackagingError naming the tiffin extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise PackagingError(
            f"packaging this model needs {distribution or module}, which is not installed",
            hint=f"pip install 'tiffin[{extra}]'",
        ) from exc


def installed_version(distribution: str) -> str:
    """The installed version of ``distribution``, recorded in the generated model class."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        raise PackagingError(
            f"{distribution} is not installed", hint=f"pip install {distribution}"
        ) from None


def check_probabilities(model: Any, probabilities: bool) -> None:
    """With ``probabilities=True``, the model must have a ``predict_proba`` method."""
    if probabilities and not callable(getattr(model, "predict_proba", None)):
        kind = type(model).__name__
        raise PackagingError(
            f"probabilities=True, but {kind} has no predict_proba method",
            hint=f"package {kind} without probabilities=True, or use a classifier that has one",
        )


def user_stacklevel() -> int:
    """The ``stacklevel`` for ``warnings.warn`` that points at the first frame outside tiffin."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("tiffin."):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level
