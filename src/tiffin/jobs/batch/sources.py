"""Find the input files of a batch job: a file, a directory or a URI.

Local paths and ``file://`` URIs need nothing else. Other schemes (``s3://``,
``gs://``, ``memory://``...) are read through fsspec when it is installed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlparse

from tiffin.codecs.registry import MEDIA_TYPE_BY_SUFFIX, media_type
from tiffin.errors import BatchInputError, setting

__all__ = ["CONTENT_TYPES", "InputFile", "find_inputs", "media_type_of"]

BATCH_TYPES = ("text/csv", "application/jsonlines", "application/x-parquet")
CONTENT_TYPES = {s: t for s, t in MEDIA_TYPE_BY_SUFFIX.items() if t in BATCH_TYPES}
"""Input suffixes a directory is scanned for, and the content type each means."""

REMOTE_HINT = "pip install fsspec (and the driver of the scheme, e.g. s3fs or gcsfs)"


@dataclass(frozen=True)
class InputFile:
    """One input: its name relative to the input root, where it is, and its identity."""

    name: str
    location: str
    size: int
    mtime_ns: int
    content_type: str
    remote: bool = False

    def open(self) -> BinaryIO:
        """Open for binary reading (through fsspec for remote inputs)."""
        if self.remote:
            import fsspec

            return fsspec.open(self.location, "rb").open()
        return open(self.location, "rb")  # the caller closes it

    def identity(self) -> dict[str, Any]:
        """What the job fingerprint records of this input."""
        return {"name": self.name, "location": self.location, "size": self.size,
                "mtime_ns": self.mtime_ns, "content_type": self.content_type}  # fmt: skip


def media_type_of(name: str, content_type: str | None) -> str | None:
    """The content type of a file: ``content_type`` if given, else from its suffix."""
    if content_type:
        return media_type(content_type)
    return CONTENT_TYPES.get(os.path.splitext(name)[1].lower())


def find_inputs(
    source: str, *, content_type: str | None = None, recursive: bool = False,
    exclude: Path | None = None,
) -> list[InputFile]:  # fmt: skip
    """Every input file named by ``source`` (a file, a directory or a URI), sorted by name.

    A directory yields its files with a known suffix (any file with ``content_type``),
    skipping hidden ones and anything under ``exclude`` (the output directory).
    """
    parsed = urlparse(source)
    if parsed.scheme == "file":
        source = unquote(parsed.path)
    elif len(parsed.scheme) > 1:
        return _remote_inputs(source, content_type, recursive)
    return _local_inputs(Path(source), content_type, recursive, exclude)


def _local_inputs(
    root: Path, content_type: str | None, recursive: bool, exclude: Path | None
) -> list[InputFile]:
    if root.is_file():
        return [_local_file(root, root.name, content_type, explicit=True)]
    if not root.is_dir():
        raise BatchInputError(f"input {root} does not exist")
    found = []
    for path in _walk(root, recursive, exclude.resolve() if exclude else None):
        name = path.relative_to(root).as_posix()
        if media_type_of(name, content_type):
            found.append(_local_file(path, name, content_type, explicit=False))
    if not found:
        raise BatchInputError(
            f"input directory {root} holds no {'/'.join(CONTENT_TYPES)} files",
            hint="pass {=recursive} to look in subdirectories, or {=content_type} for other names",
        )
    return sorted(found, key=lambda item: item.name)


def _walk(root: Path, recursive: bool, exclude: Path | None) -> Iterator[Path]:
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or (exclude and entry.resolve() == exclude):
            continue
        if entry.is_file():
            yield entry
        elif recursive and entry.is_dir():
            yield from _walk(entry, recursive, exclude)


def _local_file(path: Path, name: str, content_type: str | None, explicit: bool) -> InputFile:
    media = media_type_of(name, content_type)
    if media is None:
        raise BatchInputError(
            f"cannot tell the content type of {path} from its suffix",
            hint=f"name it {' or '.join(CONTENT_TYPES)}, or pass {setting('content_type')}",
        )
    try:
        stat = path.stat()
    except OSError as exc:
        raise BatchInputError(f"cannot read input {path}: {exc.strerror}") from exc
    return InputFile(name, str(path.resolve()), stat.st_size, stat.st_mtime_ns, media)


def _remote_inputs(uri: str, content_type: str | None, recursive: bool) -> list[InputFile]:
    try:
        import fsspec
    except ImportError:
        raise BatchInputError(
            f"reading {urlparse(uri).scheme}:// inputs needs fsspec", hint=REMOTE_HINT
        ) from None
    try:
        fs, root = fsspec.core.url_to_fs(uri)
        entries = _remote_entries(fs, root, recursive)
    except (ImportError, ValueError) as exc:
        raise BatchInputError(f"cannot read {uri}: {exc}", hint=REMOTE_HINT) from exc
    except FileNotFoundError:
        raise BatchInputError(f"input {uri} does not exist") from None
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    found = []
    for path, info in entries:
        name = path[len(root) :].lstrip("/") or path.rsplit("/", 1)[-1]
        media = media_type_of(name, content_type)
        if media:
            location = fs.unstrip_protocol(path) if protocol != "file" else path
            found.append(InputFile(name, location, int(info.get("size") or 0),
                                   _mtime_ns(info), media, remote=True))  # fmt: skip
    if not found:
        raise BatchInputError(f"input {uri} holds no {'/'.join(CONTENT_TYPES)} files")
    return sorted(found, key=lambda item: item.name)


def _remote_entries(fs: Any, root: str, recursive: bool) -> list[tuple[str, dict[str, Any]]]:
    if fs.isfile(root):
        return [(root, fs.info(root))]
    if not fs.isdir(root):
        raise FileNotFoundError(root)
    listing = fs.find(root, maxdepth=None if recursive else 1, detail=True)
    return [(path, info) for path, info in sorted(listing.items())
            if not path.rsplit("/", 1)[-1].startswith(".")]  # fmt: skip


def _mtime_ns(info: dict[str, Any]) -> int:
    for key in ("mtime", "LastModified", "last_modified", "updated", "created"):
        value = info.get(key)
        if value is None:
            continue
        if hasattr(value, "timestamp"):
            return int(value.timestamp() * 1e9)
        try:
            return int(float(value) * 1e9)
        except (TypeError, ValueError):
            return int(hashlib.sha256(str(value).encode()).hexdigest()[:15], 16)
    return 0
