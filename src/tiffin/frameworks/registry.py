"""Framework adapters register by decorator and are found by model object or file suffix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tiffin.frameworks.base import Framework

_FRAMEWORKS: dict[str, type[Framework]] = {}


def register_framework(cls: type[Framework]) -> type[Framework]:
    """Class decorator adding a framework adapter; registering a name twice raises."""
    if cls.name in _FRAMEWORKS:
        raise ValueError(f"framework {cls.name!r} is already registered by {_FRAMEWORKS[cls.name]}")
    _FRAMEWORKS[cls.name] = cls
    return cls


def _load_adapters() -> None:
    """Import the built-in adapter modules before the first lookup (see ``load_adapters``)."""
    from tiffin.frameworks import load_adapters

    load_adapters()


def registered_frameworks() -> list[type[Framework]]:
    """Every registered adapter, in detection order."""
    _load_adapters()
    return sorted(_FRAMEWORKS.values(), key=lambda cls: (cls.priority, cls.name))


def get_framework(name: str) -> Framework:
    """The adapter registered under ``name``; KeyError lists the known names."""
    _load_adapters()
    try:
        return _FRAMEWORKS[name]()
    except KeyError:
        raise KeyError(
            f"unknown framework {name!r}; known: {', '.join(sorted(_FRAMEWORKS))}"
        ) from None


def detect_framework(model: Any) -> Framework | None:
    """The first adapter (by priority) that recognises ``model``, or None."""
    for cls in registered_frameworks():
        if cls.detects(model):
            return cls()
    return None


def framework_for_file(path: Path) -> Framework | None:
    """The adapter that reads files with ``path``'s suffix, or None."""
    suffix = path.suffix.lower()
    for cls in registered_frameworks():
        if suffix in cls.file_suffixes:
            return cls()
    return None
