"""Extract ``.tar.gz``, ``.tgz``, ``.tar`` and ``.zip`` archives without writing outside the target.

Every member is checked before the first byte is written, so a refused archive
leaves the target as it was. Refused: absolute names, ``..`` components, devices,
fifos and sockets, symbolic links whose target is absolute, climbs out of the
target or passes through another link, hard links to anything but a regular file
of the same archive, and any member written through a symbolic link of the archive
(the link-then-write-through-it trick). Writing then follows no symbolic link:
parents are created one component at a time and must be real directories, files
are opened with ``O_EXCL | O_NOFOLLOW``, and links are made last. Permissions are
0644, or 0755 for executables and directories; owners are never changed.
Python's own ``tarfile`` filters are not relied on, so 3.10 and 3.11 are as safe.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from tiffin.errors import StorageError, UnsafeArchive
from tiffin.storage.members import ArchiveReader, Member, open_archive
from tiffin.storage.progress import human_size
from tiffin.storage.uris import is_absolute, relative_name

__all__ = ["check_members", "check_space", "extract_archive"]

COPY_CHUNK = 1024 * 1024
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def extract_archive(archive: Path, target: Path, *, label: str | None = None) -> int:
    """Check every member of ``archive``, then extract it into ``target``; the bytes written.

    ``label`` names the archive in messages (the URI it came from). Raises
    :class:`UnsafeArchive` for a member that could land outside ``target`` (nothing is
    written then), and StorageError for an archive that cannot be read.
    """
    label = label or archive.name
    target.mkdir(parents=True, exist_ok=True)
    with open_archive(archive, label) as reader:
        check_members(reader.members, label)
        needed = sum(m.size for m in reader.members if m.kind in ("file", "hardlink"))
        check_space(target, needed, f"extracting {label}")
        return _write_all(reader, target.resolve(), label)


def check_members(members: Iterable[Member], label: str) -> None:
    """Raise UnsafeArchive for the first member that could write outside the target."""
    members = list(members)
    links = {m.name for m in members if m.kind == "symlink"}
    files = {m.name for m in members if m.kind == "file"}
    kinds: dict[str, str] = {}
    for member in members:
        seen = kinds.setdefault(member.name, member.kind)
        if seen != member.kind:
            raise UnsafeArchive(label, member.raw, f"it appears twice, as a {seen} and a "
                                f"{member.kind}")  # fmt: skip
        through = _first_link_on_the_way(member.name, links)
        if through:
            raise UnsafeArchive(label, member.raw, f"it would be written through the symbolic "
                                f"link {through!r}")  # fmt: skip
        if member.kind == "symlink":
            _check_symlink(member, links, label)
        elif member.kind == "hardlink":
            _check_hardlink(member, files, label)


def _first_link_on_the_way(name: str, links: set[str]) -> str | None:
    """The first proper parent of ``name`` that is a symbolic link member, if any."""
    parts = name.split("/")
    for end in range(1, len(parts)):
        parent = "/".join(parts[:end])
        if parent in links:
            return parent
    return None


def _check_symlink(member: Member, links: set[str], label: str) -> None:
    target = member.link.replace("\\", "/")
    if not target:
        raise UnsafeArchive(label, member.raw, "it is a symbolic link to nothing")
    if is_absolute(target):
        raise UnsafeArchive(label, member.raw, f"it links to the absolute path {member.link!r}")
    stack: list[str] = []
    parts = [p for p in posixpath.dirname(member.name).split("/") + target.split("/") if p]
    for index, part in enumerate(parts):
        if part == ".":
            continue
        if part == "..":
            if not stack:
                raise UnsafeArchive(label, member.raw, f"it links outside the target "
                                    f"({member.link!r})")  # fmt: skip
            stack.pop()
            continue
        stack.append(part)
        if "/".join(stack) in links and index < len(parts) - 1:
            raise UnsafeArchive(label, member.raw, f"its target {member.link!r} passes through "
                                f"the symbolic link {'/'.join(stack)!r}")  # fmt: skip


def _check_hardlink(member: Member, files: set[str], label: str) -> None:
    try:
        target = relative_name(member.link)
    except ValueError as exc:
        raise UnsafeArchive(label, member.raw, f"its hard link target {member.link!r}: "
                            f"{exc}") from None  # fmt: skip
    if target not in files:
        raise UnsafeArchive(label, member.raw, f"it is a hard link to {member.link!r}, which "
                            "is not a regular file of the archive")  # fmt: skip


def check_space(target: Path, needed: int, action: str) -> None:
    """StorageError when ``action`` needs more than the free space of ``target``'s disk."""
    free = shutil.disk_usage(target).free
    if needed > free:
        raise StorageError(
            f"{action} needs {human_size(needed)}; {target} has {human_size(free)} free",
            hint="free some space, or set TIFFIN_CACHE_DIR (or MODEL_DIR) to a larger disk",
        )


def _write_all(reader: ArchiveReader, root: Path, label: str) -> int:
    members = reader.members
    written = 0
    for member in [m for m in members if m.kind == "dir"]:
        _make_dirs(root, member.name, label)
    for member in [m for m in members if m.kind == "file"]:
        with reader.open(member) as data:
            written += _write_file(root, member, data, label)
    for member in [m for m in members if m.kind == "hardlink"]:
        source = root / relative_name(member.link)
        with open(source, "rb") as data:
            written += _write_file(root, member, data, label)
    for member in [m for m in members if m.kind == "symlink"]:
        path = _place(root, member, label)
        os.symlink(member.link.replace("\\", "/"), path)
    return written


def _make_dirs(root: Path, name: str, label: str) -> Path:
    """Create ``root/name`` one component at a time, refusing anything but real directories."""
    current = root
    for part in [p for p in name.split("/") if p]:
        current = current / part
        try:
            os.mkdir(current, 0o755)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(current).st_mode):
                raise UnsafeArchive(
                    label, name, f"{part!r} exists and is not a directory"
                ) from None
    return current


def _place(root: Path, member: Member, label: str) -> Path:
    """The path to create for ``member``: its parents made, an earlier copy of it removed.

    A later copy of a name replaces the earlier one when both are files or both links.
    """
    path = _make_dirs(root, posixpath.dirname(member.name), label) / posixpath.basename(member.name)
    if os.path.lexists(path):
        wanted = stat.S_ISLNK if member.kind == "symlink" else stat.S_ISREG
        if not wanted(os.lstat(path).st_mode):
            raise UnsafeArchive(label, member.raw, "it would replace a directory or another kind")
        os.unlink(path)
    return path


def _write_file(root: Path, member: Member, data: IO[bytes], label: str) -> int:
    path = _place(root, member, label)
    mode = 0o755 if member.mode & 0o111 else 0o644
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY
    with os.fdopen(os.open(path, flags, mode), "wb") as out:
        shutil.copyfileobj(data, out, COPY_CHUNK)
        written = out.tell()
    if member.mtime is not None:
        os.utime(path, (member.mtime, member.mtime))
    return written
