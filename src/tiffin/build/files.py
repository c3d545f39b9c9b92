"""Which files of a package go into its image, and a digest of them.

Ignore patterns work like ``.gitignore`` lines: ``*.log`` matches a file or directory
name anywhere, ``/build`` only at the package root, ``docs/*.md`` a path relative to the
root, and ``!keep.log`` takes a file back. A package may add its own in
``.tiffinignore`` (or, if it has none, ``.dockerignore``).
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

DEFAULT_IGNORES = (
    ".git*",
    ".hg",
    ".svn",
    "__pycache__",
    "*.pyc",
    "*.pyo",
    ".DS_Store",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
    "*.egg-info",
    "/build",
    "/dist",
    ".tiffinignore",
    ".dockerignore",
)
"""Never copied into an image: VCS data, caches, virtualenvs and build outputs."""
IGNORE_FILES = (".tiffinignore", ".dockerignore")


def ignore_patterns(root: Path) -> list[str]:
    """The default patterns, then the package's own ``.tiffinignore`` or ``.dockerignore``."""
    patterns = list(DEFAULT_IGNORES)
    for name in IGNORE_FILES:
        file = root / name
        if file.is_file():
            lines = (line.strip() for line in file.read_text().splitlines())
            patterns += [line for line in lines if line and not line.startswith("#")]
            break
    return patterns


def is_ignored(relative: PurePosixPath, patterns: Iterable[str]) -> bool:
    """Whether ``relative`` (a path inside the package) matches the patterns; last match wins."""
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if _matches(relative, pattern.removeprefix("!")):
            ignored = not negated
    return ignored


def _matches(relative: PurePosixPath, pattern: str) -> bool:
    pattern = pattern.rstrip("/")
    if pattern.startswith("/") or "/" in pattern:
        anchored = pattern.lstrip("/")
        return any(
            fnmatch.fnmatchcase(str(PurePosixPath(*relative.parts[: i + 1])), anchored)
            for i in range(len(relative.parts))
        )
    return any(fnmatch.fnmatchcase(part, pattern) for part in relative.parts)


def package_files(root: Path, patterns: Iterable[str], *, skip: Iterable[Path] = ()) -> list[Path]:
    """Files under ``root`` that are not ignored nor under a ``skip`` directory, sorted.

    Paths are relative to ``root``. An ignored directory is not entered (as with git, a
    ``!pattern`` cannot take back a file inside it). Symbolic links are followed.
    """
    patterns = list(patterns)
    skipped = {Path(s).resolve() for s in skip}
    found: list[Path] = []
    for directory, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(directory)
        dirnames[:] = sorted(
            name
            for name in dirnames
            if (here / name).resolve() not in skipped and not _ignored(root, here / name, patterns)
        )
        found += [
            (here / name).relative_to(root)
            for name in filenames
            if not _ignored(root, here / name, patterns)
        ]
    return sorted(found)


def _ignored(root: Path, path: Path, patterns: list[str]) -> bool:
    return is_ignored(PurePosixPath(path.relative_to(root).as_posix()), patterns)


def file_digest(path: Path) -> str:
    """The sha256 of one file's bytes, as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_digest(entries: Iterable[tuple[str, bytes | Path]]) -> str:
    """``sha256:...`` over named contents (file paths or bytes), independent of their order."""
    digest = hashlib.sha256()
    for name, content in sorted(entries, key=lambda entry: entry[0]):
        value = (
            hashlib.sha256(content).hexdigest()
            if isinstance(content, bytes)
            else (file_digest(content))
        )
        digest.update(f"{name}\0{value}\n".encode())
    return "sha256:" + digest.hexdigest()
