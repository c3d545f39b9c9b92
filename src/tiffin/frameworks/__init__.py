"""Framework adapters: one module per framework, found by model object or file suffix.

The adapter modules are imported on first use by :func:`load_adapters` (every lookup in
:mod:`tiffin.frameworks.registry` calls it), so ``import tiffin`` stays light and an
adapter never imports its framework until a model of that framework is packaged or loaded.
"""

from __future__ import annotations

import importlib
import importlib.util

from tiffin.frameworks.base import Framework, SavedArtifact
from tiffin.frameworks.registry import (
    detect_framework,
    framework_for_file,
    get_framework,
    register_framework,
    registered_frameworks,
)

__all__ = [
    "ADAPTER_MODULES",
    "Framework",
    "SavedArtifact",
    "detect_framework",
    "framework_for_file",
    "get_framework",
    "load_adapters",
    "register_framework",
    "registered_frameworks",
]

ADAPTER_MODULES = (
    "sklearn_adapter",
    "generic_adapter",
    "xgboost_adapter",
    "lightgbm_adapter",
    "torch_adapter",
    "keras_adapter",
    "onnx_adapter",
)
"""Modules of ``tiffin.frameworks`` that register an adapter when imported."""

_loaded = False


def load_adapters() -> None:
    """Import every adapter module of :data:`ADAPTER_MODULES` that exists, once."""
    global _loaded
    if _loaded:
        return
    for module in ADAPTER_MODULES:
        name = f"{__name__}.{module}"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    _loaded = True
