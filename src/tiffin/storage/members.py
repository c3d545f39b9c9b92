"""Read the members of a tar or zip archive into one neutral form, before anything is written.

Each member becomes a :class:`Member` of kind ``file``, ``dir``, ``symlink`` or
``hardlink`` with a clean relative name; a device, a fifo, a socket or a member
whose name would escape is refused here with :class:`UnsafeArchive`.
"""

from __future__ import annotations

import datetime
import gzip
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from tiffin.errors import StorageError, UnsafeArchive
from tiffin.storage.uris import archive_suffix, relative_name

__all__ = ["ArchiveReader", "Member", "open_archive"]

MAX_LINK_LENGTH = 4096
KINDS = ("file", "dir", "symlink", "hardlink")
"""The kinds of member extracted; any other (device, fifo, socket) is refused."""


@dataclass(frozen=True)
class Member:
    """One archive member: clean ``name``, ``kind``, size, mode bits and link target."""

    name: str
    raw: str
    kind: str
    size: int = 0
    mode: int = 0o644
    mtime: float | None = None
    link: str = ""
    key: object = None


class ArchiveReader(Protocol):
    """The members of an open archive, and their data."""

    members: list[Member]

    def open(self, member: Member) -> IO[bytes]:
        """A readable stream of a ``file`` member's bytes."""
        ...


@contextmanager
def open_archive(path: Path, label: str) -> Iterator[ArchiveReader]:
    """Open a tar (any compression) or a zip archive, told apart by suffix, else by content."""
    suffix = archive_suffix(path.name)
    try:
        if suffix == ".zip" or (suffix is None and zipfile.is_zipfile(path)):
            with zipfile.ZipFile(path) as archive:
                yield _ZipReader(archive, label)
        else:
            with tarfile.open(path, "r:*") as tar:
                yield _TarReader(tar, label)
    except (tarfile.TarError, zipfile.BadZipFile, gzip.BadGzipFile, zlib.error, EOFError,
            RuntimeError) as exc:  # fmt: skip
        raise StorageError(f"{label} is not a readable tar or zip archive: {exc}") from exc


def _checked_name(label: str, raw: str, kind: str) -> str:
    """The clean name of a member of ``kind``; UnsafeArchive for other kinds or escaping names."""
    if kind not in KINDS:
        raise UnsafeArchive(label, raw, f"it is a {kind}")
    try:
        name = relative_name(raw)
    except ValueError as exc:
        raise UnsafeArchive(label, raw, str(exc)) from None
    if not name and kind != "dir":
        raise UnsafeArchive(label, raw, "it has no name")
    return name


class _TarReader:
    def __init__(self, tar: tarfile.TarFile, label: str) -> None:
        self.tar = tar
        self.label = label
        self.members = [m for m in map(self._member, tar.getmembers()) if m.name]

    def _member(self, info: tarfile.TarInfo) -> Member:
        kind = _tar_kind(info)
        name = _checked_name(self.label, info.name, kind)
        return Member(name, info.name, kind, info.size, info.mode, float(info.mtime),
                      info.linkname, info)  # fmt: skip

    def open(self, member: Member) -> IO[bytes]:
        assert isinstance(member.key, tarfile.TarInfo)
        stream = self.tar.extractfile(member.key)
        assert stream is not None
        return stream


def _tar_kind(info: tarfile.TarInfo) -> str:
    if info.isreg():
        return "file"
    if info.isdir():
        return "dir"
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    if info.ischr() or info.isblk():
        return "device node"
    if info.isfifo():
        return "fifo"
    return f"member of unsupported type {info.type!r}"


class _ZipReader:
    def __init__(self, archive: zipfile.ZipFile, label: str) -> None:
        self.archive = archive
        self.label = label
        self.members = [m for m in map(self._member, archive.infolist()) if m.name]

    def _member(self, info: zipfile.ZipInfo) -> Member:
        mode = info.external_attr >> 16
        kind = "dir" if info.is_dir() else _zip_kind(mode)
        name = _checked_name(self.label, info.filename, kind)
        link = ""
        if kind == "symlink":
            if info.file_size > MAX_LINK_LENGTH:
                raise UnsafeArchive(self.label, info.filename, "its link target is too long")
            link = self.archive.read(info).decode("utf-8", "replace")
        return Member(name, info.filename, kind, info.file_size, mode & 0o7777 or 0o644,
                      _zip_time(info), link, info)  # fmt: skip

    def open(self, member: Member) -> IO[bytes]:
        assert isinstance(member.key, zipfile.ZipInfo)
        return self.archive.open(member.key)


def _zip_kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device node"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "file"


def _zip_time(info: zipfile.ZipInfo) -> float | None:
    try:
        return datetime.datetime(*info.date_time).timestamp()
    except ValueError:
        return None
