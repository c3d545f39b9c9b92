"""Detection and distribution helpers for the adapters of xgboost, lightgbm, torch, keras, onnx.

Nothing here imports a framework. :func:`is_instance` answers "is this an
object of that framework?" from ``sys.modules`` alone: an object of a framework
cannot exist unless its module was imported.
"""

from __future__ import annotations

import sys
from importlib import metadata
from types import ModuleType
from typing import Any

from tiffin.errors import PackagingError


def imported(module: str) -> ModuleType | None:
    """The module if it is already imported, else None; never imports anything."""
    return sys.modules.get(module)


def is_instance(model: Any, module: str, *names: str) -> bool:
    """True if ``module`` is imported and ``model`` is an instance of one of its ``names``.

    ``is_instance(m, "xgboost", "Booster", "XGBModel")`` never imports xgboost;
    names may be dotted (``"nn.Module"``).
    """
    loaded = imported(module)
    if loaded is None:
        return False
    classes = tuple(cls for cls in (_attribute(loaded, name) for name in names) if cls)
    return bool(classes) and isinstance(model, classes)


def _attribute(module: ModuleType, dotted: str) -> Any:
    value: Any = module
    for part in dotted.split("."):
        value = getattr(value, part, None)
    return value


def installed_distribution(module: str, preferred: str) -> str:
    """The installed distribution providing ``module``: ``preferred`` if it is installed,
    else another one that does (``xgboost-cpu`` for ``xgboost``, ``onnxruntime-gpu``...)."""
    try:
        metadata.version(preferred)
        return preferred
    except metadata.PackageNotFoundError:
        pass
    providers = metadata.packages_distributions().get(module, [])
    if not providers:
        raise PackagingError(
            f"{preferred} is not installed, and the package needs it to load the model",
            hint=f"pip install {preferred}",
        )
    return providers[0]


def refuse_probabilities(probabilities: bool, what: str, returned: str) -> None:
    """``probabilities=True`` is for models with ``predict_proba``: refuse it for ``what``,
    saying what the package ``returned`` instead."""
    if probabilities:
        raise PackagingError(
            f"probabilities=True does not apply to {what}: {returned}",
            hint="leave out probabilities=True",
        )
