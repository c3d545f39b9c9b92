"""The marker a fetch leaves in the model dir: which URI it holds, and which content.

``.tiffin-model.json`` records the URI (without any query string or password), a
fingerprint of the full URI and of the listing it was fetched from (names, sizes,
ETags or generations), and whether the last fetch finished. A
start with the same URI and fingerprint reuses the dir; anything else fetches again.
The marker is written atomically, last, so a dir with a complete marker is whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

__all__ = [
    "LOCK_NAME",
    "MARKER_NAME",
    "STAGING_PREFIX",
    "Marker",
    "fetched_by_cluster",
    "fingerprint",
    "is_bookkeeping",
    "read_marker",
    "write_marker",
]

MARKER_NAME = ".tiffin-model.json"
LOCK_NAME = ".tiffin-model.lock"
STAGING_PREFIX = ".tiffin-staging-"


def fetched_by_cluster(directory: Path) -> Path | None:
    """``directory`` when it holds files that tiffin did not fetch (no marker), else None:
    what KServe's storage initializer leaves in ``/mnt/models``."""
    try:
        foreign = directory.is_dir() and not (directory / MARKER_NAME).exists()
        return directory if foreign and any(directory.iterdir()) else None
    except OSError:
        return None


def is_bookkeeping(name: str) -> bool:
    """True for the files tiffin keeps in a model dir (marker, lock, staging dirs)."""
    return name.startswith((".tiffin-model.", STAGING_PREFIX))


@dataclass(frozen=True)
class Marker:
    """What a model dir holds: fetched from ``uri``, content ``fingerprint``."""

    uri: str
    fingerprint: str
    files: int
    size: int
    complete: bool = True
    fetched_at: float = 0.0

    def matches(self, uri: str, fingerprint: str) -> bool:
        """True when a finished fetch of this very URI and content is in place."""
        return self.complete and self.uri == uri and self.fingerprint == fingerprint


def fingerprint(uri: str, entries: Iterable[tuple[str, int | None, str | None]]) -> str:
    """A digest of the full URI and its (name, size, version) entries; it changes with any."""
    listing = sorted(entries, key=lambda entry: entry[0])
    text = json.dumps([uri, listing], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def read_marker(directory: Path) -> Marker | None:
    """The marker in ``directory``, or None if there is none (or it is unreadable)."""
    try:
        data = json.loads((directory / MARKER_NAME).read_text())
        known = {field.name for field in fields(Marker)}
        return Marker(**{key: value for key, value in data.items() if key in known})
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def write_marker(directory: Path, marker: Marker) -> None:
    """Replace the marker in ``directory`` atomically."""
    data = {**asdict(marker), "fetched_at": marker.fetched_at or time.time()}
    temporary = directory / f"{MARKER_NAME}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(temporary, directory / MARKER_NAME)
