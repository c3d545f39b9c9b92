"""What a person trying a model needs besides its tensors: what it does, its framework,
and an input to start from.

The spec gives the description and the example input (``description``,
``example_input``); a package written by ``tiffin.package()`` records its framework in
``.tiffin/package.json``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tiffin.spec import LoadedSpec

logger = logging.getLogger("tiffin.model")

PACKAGE_METADATA = ".tiffin/package.json"
"""Where ``tiffin.package()`` records the framework (``tiffin.packaging`` writes it)."""


@dataclass(frozen=True)
class ModelInfo:
    """Facts about a model shown to people: none of them changes how it predicts."""

    description: str = ""
    framework: str | None = None
    """The framework adapter that packaged the model (``sklearn``), or None if unknown."""
    example_input: Any = None
    """A JSON value the model accepts, from the spec's ``example_input``, or None."""


def model_info(loaded: LoadedSpec) -> ModelInfo:
    """The :class:`ModelInfo` of a loaded spec and the package it belongs to."""
    spec = loaded.spec
    return ModelInfo(
        description=spec.description,
        framework=_packaged_framework(loaded.root),
        example_input=spec.example_input,
    )


def _packaged_framework(root: Path) -> str | None:
    """``framework`` from ``.tiffin/package.json``; None without a readable file."""
    file = root / PACKAGE_METADATA
    if not file.is_file():
        return None
    try:
        framework = json.loads(file.read_text()).get("framework")
    except (OSError, ValueError, AttributeError) as exc:
        logger.warning("ignoring %s: %s", file, exc)
        return None
    return framework if isinstance(framework, str) else None
