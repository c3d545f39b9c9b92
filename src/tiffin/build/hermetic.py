"""Hermetic builds: resolve and download every wheel on the host, for the image's target.

``pip download --only-binary=:all: --python-version X.Y --platform manylinux...`` runs on
the host, where the package index, its proxy and its certificates already work. The image
then installs from those files with ``--no-index``, so the build needs no network at all.
A requirement that does not exist, or has no wheel for the target, fails here, before any
engine runs. Downloads are kept in a cache keyed by the exact requirements and target, so
a rebuild with the same requirements downloads nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from tiffin.build import process
from tiffin.build.process import CommandRunner, Completed, LineSink
from tiffin.build.target import Target
from tiffin.errors import BuildError, RequirementUnavailable

_NOT_FOUND = re.compile(
    r"Could not find a version that satisfies the requirement (.+?) \(from versions: (.*)\)"
)
_NO_MATCH = re.compile(r"No matching distribution found for (\S+)")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
_COMPLETE = ".complete"


def download_wheels(
    requirement_files: Sequence[Path],
    target: Target,
    dest: Path,
    cache_dir: Path,
    *,
    runner: CommandRunner = process.run,
    on_line: LineSink | None = None,
) -> list[Path]:
    """Put every wheel the requirements resolve to for ``target`` into ``dest``.

    Raises :class:`RequirementUnavailable` naming a requirement that cannot be met.
    """
    cached = _cached_download(requirement_files, target, cache_dir, runner, on_line)
    dest.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cached.glob("*.whl"))
    for wheel in wheels:
        _link(wheel, dest / wheel.name)
    return [dest / wheel.name for wheel in wheels]


def _cached_download(
    requirement_files: Sequence[Path],
    target: Target,
    cache_dir: Path,
    runner: CommandRunner,
    on_line: LineSink | None,
) -> Path:
    key = hashlib.sha256(target.describe().encode())
    for file in requirement_files:
        key.update(file.read_bytes() + b"\0")
    cached = cache_dir / "wheels" / key.hexdigest()[:24]
    if (cached / _COMPLETE).exists():
        return cached
    partial = cached.with_name(f"{cached.name}.{os.getpid()}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    argv = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--progress-bar",
        "off",
        "--dest",
        str(partial),
        *target.pip_options(),
    ]
    for file in requirement_files:
        argv += ["-r", str(file)]
    done = runner(argv, on_line=on_line)
    if not done.ok:
        shutil.rmtree(partial, ignore_errors=True)
        raise explain_download_failure(done, target, runner)
    (partial / _COMPLETE).touch()
    shutil.rmtree(cached, ignore_errors=True)
    partial.rename(cached)
    return cached


def explain_download_failure(done: Completed, target: Target, runner: CommandRunner) -> Exception:
    """The failure of ``pip download`` as an error naming the requirement at fault."""
    text = "\n".join(done.lines)
    found = _NOT_FOUND.search(text)
    requirement = found.group(1) if found else None
    if requirement is None and (no_match := _NO_MATCH.search(text)):
        requirement = no_match.group(1)
    if requirement is None:
        return BuildError(
            f"resolving the requirements for {target.describe()} failed",
            output=done.tail(),
            hint="the output above is pip's; fix the requirement it names",
        )
    versions = found.group(2).strip() if found else "none"
    if versions != "none":
        reason = f"versions with a wheel for it: {_shorten(versions)}"
        return RequirementUnavailable(requirement, target.describe(), reason, exists=True)
    exists = _exists_anywhere(requirement, runner)
    return RequirementUnavailable(requirement, target.describe(), "", exists=exists)


def _exists_anywhere(requirement: str, runner: CommandRunner) -> bool | None:
    """Whether the index has the project at all (any version, any file), if pip can tell."""
    name = _NAME.match(requirement)
    if name is None:
        return None
    done = runner([sys.executable, "-m", "pip", "index", "versions", name.group(0)])
    if done.ok:
        return True
    if any("No matching distribution found" in line for line in done.lines):
        return False
    return None


def _shorten(versions: str, keep: int = 6) -> str:
    items = [item.strip() for item in versions.split(",")]
    return ", ".join(items[-keep:]) if len(items) <= keep else "..., " + ", ".join(items[-keep:])


def _link(source: Path, target: Path) -> None:
    """Hard-link ``source`` to ``target`` (copy across file systems)."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
