"""Where a model comes from: list its files, download one. Local paths here, the rest via fsspec.

A :class:`Source` lists the files a URI names (one for a file, every file below a
directory or key prefix) with what identifies their content (size, ETag,
generation, mtime), and downloads one file to a local path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tiffin.errors import StorageError
from tiffin.storage.failures import translating
from tiffin.storage.marker import is_bookkeeping
from tiffin.storage.progress import DownloadProgress
from tiffin.storage.uris import ModelUri, relative_name

__all__ = ["CHUNK_SIZE", "LocalSource", "Source", "SourceFile", "open_source", "source_file"]

CHUNK_SIZE = 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    """One file of a source: where it is, its name under the model dir, and its identity."""

    path: str
    name: str
    size: int | None
    version: str | None = None


class Source(Protocol):
    """Lists and downloads the files of one model URI."""

    uri: ModelUri

    def listing(self) -> list[SourceFile]:
        """Every file the URI names, sorted by name; StorageError if there are none."""
        ...

    def download(self, file: SourceFile, dest: Path, progress: DownloadProgress) -> None:
        """Write ``file`` to ``dest``, reporting bytes to ``progress``."""
        ...


def open_source(uri: ModelUri) -> Source:
    """The source for ``uri``: local files directly, anything else through fsspec."""
    if uri.is_local:
        return LocalSource(uri)
    from tiffin.storage.remote import FsspecSource

    return FsspecSource(uri)


def source_file(
    uri: ModelUri, path: str, name: str, size: int | None, version: str | None
) -> SourceFile:
    """A SourceFile whose ``name`` is checked to stay inside the model dir."""
    try:
        clean = relative_name(name)
    except ValueError as exc:
        raise StorageError(f"{uri.display}: refusing {name!r}: {exc}") from None
    if not clean:
        raise StorageError(f"{uri.display}: refusing a file with an empty name")
    return SourceFile(path, clean, size, version)


class LocalSource:
    """A local file or directory (a plain path or a ``file://`` URI)."""

    def __init__(self, uri: ModelUri) -> None:
        self.uri = uri
        self.root = Path(uri.path)

    def listing(self) -> list[SourceFile]:
        with translating(self.uri):
            if self.root.is_file():
                return [self._file(self.root, self.root.name)]
            if not self.root.is_dir():
                raise FileNotFoundError(str(self.root))
            files = [self._file(path, path.relative_to(self.root).as_posix())
                     for path in self._walk()]  # fmt: skip
        if not files:
            raise StorageError(f"{self.uri.display} is an empty directory")
        return sorted(files, key=lambda file: file.name)

    def download(self, file: SourceFile, dest: Path, progress: DownloadProgress) -> None:
        with translating(self.uri), open(file.path, "rb") as src, open(dest, "wb") as out:
            done = 0
            while chunk := src.read(CHUNK_SIZE):
                out.write(chunk)
                done += len(chunk)
                progress.update(done)

    def _walk(self) -> list[Path]:
        found = []
        for directory, dirs, names in os.walk(self.root):
            top = Path(directory) == self.root
            dirs[:] = [d for d in dirs if not (top and is_bookkeeping(d))]
            found += [Path(directory, n) for n in names if not (top and is_bookkeeping(n))]
        return found

    def _file(self, path: Path, name: str) -> SourceFile:
        stat = path.stat()
        return source_file(self.uri, str(path), name, stat.st_size, str(stat.st_mtime_ns))
