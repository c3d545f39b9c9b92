"""tiffin's own requirements, core and per extra, read from its distribution.

An image installs tiffin's core requirements and those of the extras its spec names
(``tiffin_extras``): ``grpc`` to serve gRPC, ``s3``/``gcs``/``http`` to fetch a
``STORAGE_URI``. The lists come from the editable source's ``pyproject.toml`` when
tiffin is installed editable (the freshest), else from the installed metadata.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "DEFAULT_EXTRAS",
    "DISTRIBUTION",
    "OwnRequirements",
    "UnknownExtra",
    "check_extras",
    "editable_source",
    "normalize_extra",
    "own_requirements",
]

DISTRIBUTION = "tiffin"
DEFAULT_EXTRAS = ("grpc",)
"""What an image gets unless its spec says otherwise: it serves OIP gRPC out of the box."""
_EXTRA_MARKER = re.compile(r"""^(?P<rest>.*?)\s*\bextra\s*==\s*["'](?P<name>[^"']+)["']\s*$""")


class UnknownExtra(ValueError):
    """An extra tiffin does not have; ``hint`` says which were meant and which exist."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = tuple(known)
        close = difflib.get_close_matches(name, self.known, n=1, cutoff=0.6)
        listing = f"tiffin's extras are: {', '.join(self.known)}"
        self.hint = f"did you mean {close[0]!r}? {listing}" if close else listing
        super().__init__(f"{name!r} is not an extra of tiffin")


@dataclass(frozen=True)
class OwnRequirements:
    """tiffin's core requirements, and the requirements of each of its extras."""

    core: tuple[str, ...]
    extras: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def sections(self, names: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
        """(extra, requirements not already listed) for each of ``names``, in order.

        Raises :class:`UnknownExtra` for a name tiffin does not have.
        """
        seen = set(self.core)
        found = []
        for name in names:
            if name not in self.extras:
                raise UnknownExtra(name, sorted(self.extras))
            new = tuple(dict.fromkeys(r for r in self.extras[name] if r not in seen))
            seen.update(new)
            found.append((name, new))
        return found


def normalize_extra(name: str) -> str:
    """``S3``, ``my_extra`` -> ``s3``, ``my-extra`` (extra names compare this way)."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def own_requirements() -> OwnRequirements | None:
    """The running tiffin's requirements, or None when it is not installed at all."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    source = editable_source(dist)
    project = _pyproject(source) if source else None
    if project is not None and isinstance(project.get("dependencies"), list):
        optional = project.get("optional-dependencies") or {}
        extras = {normalize_extra(k): tuple(v) for k, v in optional.items() if isinstance(v, list)}
        return OwnRequirements(tuple(project["dependencies"]), extras)
    return _from_metadata(dist)


def check_extras(names: Iterable[str]) -> list[str]:
    """``names`` normalised and without repeats; :class:`UnknownExtra` for one tiffin lacks.

    Without an installed tiffin to ask, every name is accepted.
    """
    wanted = list(dict.fromkeys(normalize_extra(name) for name in names))
    own = own_requirements()
    if own is not None:
        own.sections(wanted)
    return wanted


def editable_source(dist: metadata.Distribution) -> Path | None:
    """The source tree of an editable install, else None."""
    text = dist.read_text("direct_url.json")
    if not text:
        return None
    info = json.loads(text)
    if not info.get("dir_info", {}).get("editable") or not info.get("url", "").startswith("file:"):
        return None
    return Path(info["url"].removeprefix("file://"))


def _pyproject(source: Path) -> dict | None:
    path = source / "pyproject.toml"
    if not path.is_file():
        return None
    project = tomllib.loads(path.read_text()).get("project")
    return project if isinstance(project, dict) else None


def _from_metadata(dist: metadata.Distribution) -> OwnRequirements:
    """Requires-Dist lines split into core and per extra (``; extra == "s3"`` removed)."""
    core: list[str] = []
    extras: dict[str, list[str]] = {
        normalize_extra(name): [] for name in dist.metadata.get_all("Provides-Extra") or []
    }
    for line in dist.requires or []:
        requirement, _, marker = line.partition(";")
        found = _EXTRA_MARKER.match(marker.strip())
        if not found:
            core.append(line.strip())
            continue
        rest = found.group("rest").strip()
        rest = re.sub(r"\s*\band\s*$", "", rest).strip()
        if rest.startswith("(") and rest.endswith(")"):
            rest = rest[1:-1].strip()
        text = f"{requirement.strip()}; {rest}" if rest else requirement.strip()
        extras.setdefault(normalize_extra(found.group("name")), []).append(text)
    return OwnRequirements(tuple(core), {name: tuple(lines) for name, lines in extras.items()})
