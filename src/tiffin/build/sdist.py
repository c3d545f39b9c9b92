"""A setuptools project's distributions: its sdist, and the wheel built from it on the host."""

from __future__ import annotations

import sys
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from tiffin.build import process
from tiffin.build.process import CommandRunner
from tiffin.errors import BuildError

SETUP_FILES = ("setup.py", "setup.cfg")


def is_setuptools_project(directory: Path) -> bool:
    """A directory with a ``setup.py`` (or ``setup.cfg``) and no tiffin spec of its own."""
    has_spec = any((directory / name).is_file() for name in ("tiffin.yaml", "tiffin.yml"))
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file() and "[tool.tiffin]" in pyproject.read_text(errors="replace"):
        has_spec = True
    return not has_spec and any((directory / name).is_file() for name in SETUP_FILES)


def is_sdist(path: Path) -> bool:
    """Whether ``path`` names a source distribution archive."""
    return path.is_file() and path.name.endswith((".tar.gz", ".zip"))


def build_sdist(project: Path, dest: Path, runner: CommandRunner = process.run) -> Path:
    """``python setup.py sdist`` of ``project`` into ``dest``; returns the archive."""
    dest.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "setup.py", "-q", "sdist", "--dist-dir", str(dest)]
    done = runner(argv, cwd=project)
    archives = sorted(dest.glob("*.tar.gz"))
    if not done.ok or not archives:
        raise BuildError(
            f"`python setup.py sdist` failed in {project}",
            output=done.tail(),
            hint="run it yourself to see the whole output",
        )
    return archives[-1]


def build_project_wheel(sdist: Path, dest: Path, runner: CommandRunner = process.run) -> Path:
    """A wheel of the project, built from its sdist on the host without network.

    The image installs it with ``--no-deps``: its requirements are installed earlier, in
    their own layer. Only pure-Python projects can be built this way.
    """
    dest.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-index",
        "--no-build-isolation",
        "--wheel-dir",
        str(dest),
        str(sdist),
    ]
    done = runner(argv)
    wheels = sorted(dest.glob("*.whl"))
    if not done.ok or not wheels:
        raise BuildError(
            f"building a wheel from {sdist.name} failed",
            output=done.tail(),
            hint="check that `pip wheel --no-deps` works on the sdist",
        )
    wheel = wheels[-1]
    if not wheel.name.endswith("-none-any.whl"):
        raise BuildError(
            f"{sdist.name} builds a platform-specific wheel ({wheel.name})",
            hint="tiffin builds images of pure-Python setuptools projects; package compiled "
            "code as a separate requirement with wheels",
        )
    return wheel


def sdist_entries(sdist: Path) -> list[tuple[str, bytes]]:
    """The files of an sdist without its top directory, for a digest of the sources.

    Reading members, not the archive's bytes, keeps the digest independent of the
    timestamps setuptools writes into each new archive.
    """
    if zipfile.is_zipfile(sdist):
        with zipfile.ZipFile(sdist) as zipped:
            return [
                (_inner(name), zipped.read(name))
                for name in sorted(zipped.namelist())
                if not name.endswith("/")
            ]
    with tarfile.open(sdist) as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name)
        return [(_inner(m.name), tar.extractfile(m).read()) for m in members]  # type: ignore[union-attr]


def _inner(name: str) -> str:
    parts = PurePosixPath(name).parts
    return str(PurePosixPath(*parts[1:])) if len(parts) > 1 else name
