"""Pinned requirements of a model, inferred from the object and the running environment.

The distributions pinned are: the framework adapter's (e.g. scikit-learn, joblib, numpy),
and those providing every module the model object is built from (see :mod:`.walk`), each
at its installed version. Not the whole ``pip freeze``: nothing the model does not use.
The user's own requirements are added last and replace a pin of the same name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from tiffin.errors import PackagingError
from tiffin.frameworks.base import Framework
from tiffin.packaging.distributions import find_origins
from tiffin.packaging.walk import model_modules

_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
NEVER_PINNED = frozenset({"tiffin"})
"""tiffin installs itself in the image; the model's requirements never name it."""


@dataclass
class Requirements:
    """What a package needs installed, and the user's modules it must carry along."""

    lines: list[str]
    """requirements.txt lines: ``name==version`` pins and the user's own requirements."""
    versions: dict[str, str] = field(default_factory=dict)
    """The installed version of every pinned distribution, by name."""
    local_modules: dict[str, Path] = field(default_factory=dict)
    """Top-level modules of the user's own code the model is built from, by name."""


def infer_requirements(
    model: Any, framework: Framework, extra: list[str] | tuple[str, ...] = ()
) -> Requirements:
    """Pin the framework's distributions and those the model's classes come from."""
    origins = find_origins(model_modules(model))
    wanted = {framework.distribution, *framework.requirements(model), *origins.distributions}
    versions = installed_versions(wanted)
    lines = {normalize(name): f"{name}=={version}" for name, version in versions.items()}
    for requirement in extra:
        lines[normalize(requirement_name(requirement))] = requirement.strip()
    return Requirements([lines[key] for key in sorted(lines)], versions, origins.local)


def installed_versions(names: set[str]) -> dict[str, str]:
    """``{name: version}`` for each installed distribution of ``names`` (tiffin excluded)."""
    versions: dict[str, str] = {}
    by_key = {normalize(name): name for name in names}
    for key, name in sorted(by_key.items()):
        if key in NEVER_PINNED:
            continue
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def requirement_name(requirement: str) -> str:
    """The distribution name of a requirement line like ``pandas>=2`` or ``torch==2.3``."""
    found = _NAME.match(requirement)
    if found is None:
        raise PackagingError(
            f"invalid requirement {requirement!r}",
            hint="write requirements as pip does, e.g. 'pandas>=2' or 'requests==2.32.3'",
        )
    return found.group(1)


def normalize(name: str) -> str:
    """PEP 503 normalized name: ``Scikit_Learn`` -> ``scikit-learn``."""
    return re.sub(r"[-_.]+", "-", name).lower()
