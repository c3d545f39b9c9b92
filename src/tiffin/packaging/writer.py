"""Write a package directory atomically: build it beside the target, then rename it in place.

A failure at any point leaves the target as it was (absent, empty, or the previous
package) and removes the half-built directory.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tiffin.errors import PackagingError


def check_target(target: Path, *, overwrite: bool) -> None:
    """Refuse a target that is a file, or a non-empty directory unless ``overwrite``."""
    if target.exists() and not target.is_dir():
        raise PackagingError(f"{target} exists and is not a directory",
                             hint="choose another target directory")  # fmt: skip
    if not _non_empty(target):
        return
    if not overwrite:
        raise PackagingError(
            f"{target} already exists and is not empty",
            hint="choose another target directory, or pass overwrite=True (--overwrite) "
            "to replace it",
        )
    cwd = Path.cwd().resolve()
    resolved = target.resolve()
    if resolved in (Path.home().resolve(), Path(resolved.anchor)) or cwd.is_relative_to(resolved):
        raise PackagingError(
            f"refusing to replace {target}: it is the current directory, one of its "
            "parents, or the home directory",
            hint="package into a new directory",
        )


@contextmanager
def staging(target: Path, *, overwrite: bool) -> Iterator[Path]:
    """Yield a fresh directory beside ``target``; on success it replaces ``target``."""
    check_target(target, overwrite=overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = target.with_name(f".{target.name}.tiffin-new-{uuid.uuid4().hex[:12]}")
    stage.mkdir()
    try:
        yield stage
        check_target(target, overwrite=overwrite)
        _replace(stage, target)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _replace(stage: Path, target: Path) -> None:
    """Rename ``stage`` to ``target``, swapping out a previous package if there is one."""
    if not target.exists():
        os.rename(stage, target)
        return
    if not _non_empty(target):
        target.rmdir()
        os.rename(stage, target)
        return
    old = target.with_name(f".{target.name}.tiffin-old-{uuid.uuid4().hex[:12]}")
    os.rename(target, old)
    try:
        os.rename(stage, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _non_empty(directory: Path) -> bool:
    return directory.is_dir() and any(directory.iterdir())
