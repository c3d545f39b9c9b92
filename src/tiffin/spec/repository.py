"""Find a model repository: a directory of packages, or a spec with a ``models:`` list.

``tiffin serve PATH`` serves a repository when PATH is a directory holding no spec of its
own whose subdirectories hold specs (each subdirectory one model), or a spec listing its
``models:``; anything else is one package (:func:`tiffin.spec.load_spec`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tiffin.spec.loader import SPEC_FILES, load_spec
from tiffin.spec.model import ServerSettings

__all__ = ["ModelSource", "RepositoryPlan", "find_repository", "has_spec"]


@dataclass(frozen=True)
class ModelSource:
    """One model of a repository: its package, and what its entry overrides."""

    path: Path
    name: str | None = None
    version: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    """Server settings of this model only (threads, timeout, batching limits)."""
    batching: bool | None = None


@dataclass(frozen=True)
class RepositoryPlan:
    """The models a repository starts with and the server settings it gives."""

    root: Path
    sources: list[ModelSource]
    settings: ServerSettings


def has_spec(directory: Path) -> bool:
    """True when ``directory`` holds a tiffin.yaml, tiffin.yml or a pyproject.toml with a
    ``[tool.tiffin]`` table."""
    if any((directory / name).is_file() for name in SPEC_FILES):
        return True
    pyproject = directory / "pyproject.toml"
    return pyproject.is_file() and "[tool.tiffin" in pyproject.read_text(errors="replace")


def find_repository(path: str | Path, *, empty_ok: bool = False) -> RepositoryPlan | None:
    """The repository at ``path``, or None when it is one package. ``empty_ok``: a
    directory with no spec and no packages is an empty repository (SageMaker multi-model
    endpoints load their models at run time), not a missing spec."""
    given = Path(path)
    if given.is_dir() and not has_spec(given):
        children = sorted(c for c in given.iterdir() if c.is_dir() and has_spec(c))
        if not children and not empty_ok:
            return None  # load_spec says there is no spec here
        return RepositoryPlan(given.resolve(), [ModelSource(c) for c in children], ServerSettings())
    loaded = load_spec(given)
    if not loaded.spec.models:
        return None
    sources = [
        ModelSource(loaded.root / e.path, e.name, e.version, e.settings(), e.batching)
        for e in loaded.spec.models
    ]
    return RepositoryPlan(loaded.root, sources, loaded.spec.server)
