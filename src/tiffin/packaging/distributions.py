"""Which installed distribution each module comes from, read from the ``*.dist-info`` files.

``importlib.metadata.packages_distributions()`` builds the file list of every installed
distribution (a tenth of a second with torch installed, more than packaging a model costs).
This finds a module's file, and looks for it in the raw ``RECORD`` text of the
distributions installed in the same directory; ``top_level.txt`` is the fallback (editable
and legacy installs).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

IGNORED = frozenset({"__main__", "builtins", "tiffin"})
"""Top-level modules never pinned: the interpreter's own, and tiffin itself."""


@dataclass
class Site:
    """One ``sys.path`` directory and the distributions installed in it."""

    path: Path
    _records: dict[Path, str] = field(default_factory=dict, repr=False)

    @cached_property
    def metadata_dirs(self) -> list[Path]:
        try:
            entries = list(self.path.iterdir())
        except OSError:
            return []
        return sorted(p for p in entries if p.suffix in (".dist-info", ".egg-info"))

    def record(self, metadata_dir: Path) -> str:
        """The RECORD text of ``metadata_dir`` (read once), with a leading newline."""
        if metadata_dir not in self._records:
            self._records[metadata_dir] = "\n" + _read(metadata_dir / "RECORD")
        return self._records[metadata_dir]

    @cached_property
    def top_levels(self) -> list[tuple[Path, set[str]]]:
        return [(d, set(_read(d / "top_level.txt").split())) for d in self.metadata_dirs]

    def owner_of(self, relative: str) -> Path | None:
        """The metadata directory whose RECORD lists ``relative`` (a posix path).

        Likely owners are read first: the distribution named like the module, then the
        smallest RECORDs (the largest, torch's, holds tens of thousands of lines).
        """
        needle = f"\n{relative},"
        top = _normalize(relative.partition("/")[0].partition(".")[0])
        candidates = sorted(self.metadata_dirs, key=lambda d: (_dist_key(d) != top, _size(d)))
        return next((d for d in candidates if needle in self.record(d)), None)

    def declaring(self, top: str) -> Path | None:
        """The metadata directory whose top_level.txt names ``top``."""
        return next((d for d, names in self.top_levels if top in names), None)


@dataclass
class Origins:
    """Where the modules of a model come from."""

    distributions: set[str] = field(default_factory=set)
    """Names of the installed distributions that provide them."""
    local: dict[str, Path] = field(default_factory=dict)
    """Top-level modules that belong to no distribution, by name: their file or package dir."""


def find_origins(modules: set[str]) -> Origins:
    """The distributions providing ``modules``, and the modules that are the user's own code."""
    sites = [Site(Path(entry or ".").resolve()) for entry in sys.path if _is_dir(entry or ".")]
    origins = Origins()
    for top in sorted({m.partition(".")[0] for m in modules} - IGNORED):
        if top in sys.stdlib_module_names:
            continue
        file = _module_file(top, modules)
        owner = _owner(file, sites) if file else None
        owner = owner or next((d for s in sites if (d := s.declaring(top))), None)
        if owner is not None:
            origins.distributions.add(distribution_name(owner))
        elif file is not None and not _installed(file):
            origins.local[top] = file.parent if file.name == "__init__.py" else file
    return origins


def distribution_name(metadata_dir: Path) -> str:
    """The ``Name:`` of a dist-info or egg-info directory, as its project spells it."""
    for filename in ("METADATA", "PKG-INFO"):
        for line in _read(metadata_dir / filename).splitlines():
            if line.lower().startswith("name:"):
                return line.partition(":")[2].strip()
            if not line:
                break
    return metadata_dir.name.split("-")[0]


def _module_file(top: str, modules: set[str]) -> Path | None:
    """The file of module ``top``; for a namespace package, the file of one of its modules."""
    candidates = [top, *sorted(m for m in modules if m.startswith(top + "."))]
    for name in candidates:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file:
            return Path(file).resolve()
    return None


def _owner(file: Path, sites: list[Site]) -> Path | None:
    for site in sites:
        if file.is_relative_to(site.path):
            owner = site.owner_of(file.relative_to(site.path).as_posix())
            if owner is not None:
                return owner
    return None


def _installed(file: Path) -> bool:
    """True for a file under a site-packages directory (installed, even without metadata)."""
    return any(part in ("site-packages", "dist-packages") for part in file.parts)


def _dist_key(metadata_dir: Path) -> str:
    return _normalize(metadata_dir.name.partition("-")[0])


def _normalize(name: str) -> str:
    return name.replace("-", "_").replace(".", "_").lower()


def _size(metadata_dir: Path) -> int:
    try:
        return (metadata_dir / "RECORD").stat().st_size
    except OSError:
        return 0


def _is_dir(entry: str) -> bool:
    return Path(entry).is_dir()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
