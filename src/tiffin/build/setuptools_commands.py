"""``python setup.py train|predict|execute``: a setuptools project's images, Baklava style.

Installing tiffin registers these commands and the ``python_version`` and ``dockerlines``
setup keywords with setuptools (entry points in tiffin's pyproject.toml). In a project
whose ``setup()`` declares ``tiffin.*`` (or ``baklava.*``) entry points:

=========================  ==========================  ===========================
command                    image runs by default       entry points used
=========================  ==========================  ===========================
``python setup.py predict``  ``serve``                 ``predict`` (+ ``initialize``)
``python setup.py train``    ``train``                 ``train``
``python setup.py execute``  ``batch``                 ``execute`` (+ ``initialize``)
=========================  ==========================  ===========================

Each command builds the project's sdist, then an image from it. The base image is
``--base-image``, else ``TIFFIN_BASE_IMAGE``, else ``python:<python_version>-slim``
(major.minor of ``python_version``; one older than 3.10, such as Baklava's ``"3.6.6"``,
builds on ``python:3.10-slim`` and the build says so).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from setuptools import Command

from tiffin.errors import SpecError, TiffinError
from tiffin.spec.python import normalize_python_version
from tiffin.spec.setuptools import KEYWORDS_FILE, SetuptoolsProject, read_sdist

try:  # setuptools >= 59
    from setuptools.errors import ExecError, SetupError
except ImportError:  # pragma: no cover - old setuptools
    from distutils.errors import DistutilsExecError as ExecError
    from distutils.errors import DistutilsSetupError as SetupError


class ImageCommand(Command):
    """Build the image of this project for one role; subclasses name the role."""

    role: ClassVar[str]
    mode: ClassVar[str]
    user_options: ClassVar[list[tuple[str, str | None, str]]] = [
        ("entrypoint=", "e", "the entry point to use when its group has several"),
        ("tag=", "t", "image tag [NAME-COMMAND:VERSION]"),
        ("engine=", None, "docker, buildx, podman or buildah [TIFFIN_ENGINE, else the installed]"),
        ("base-image=", None, "base image [TIFFIN_BASE_IMAGE, else python:X.Y-slim]"),
        ("no-hermetic", None, "let the engine download the requirements itself"),
        ("idfile=", "f", "write the image tag to this file"),
    ]
    boolean_options: ClassVar[list[str]] = ["no-hermetic"]

    def initialize_options(self) -> None:
        self.entrypoint: str | None = None
        self.tag: str | None = None
        self.engine: str | None = None
        self.base_image: str | None = None
        self.no_hermetic = False
        self.idfile: str | None = None

    def finalize_options(self) -> None:
        """Nothing to derive: every option is used as given."""

    def run(self) -> None:
        self.run_command("sdist")
        sdist = Path(self.get_finalized_command("sdist").archive_files[0]).resolve()
        try:
            tag = self._build(sdist)
        except TiffinError as exc:
            hint = f"\nhint: {exc.hint}" if exc.hint else ""
            raise ExecError(f"{exc.message}{hint}") from exc
        if self.idfile:
            Path(self.idfile).write_text(tag + "\n")
        print(f"tiffin: built {tag} (`docker run {tag}` runs {self.mode})")

    def _build(self, sdist: Path) -> str:
        from tiffin.build.builder import HERMETIC_DEFAULT, build_plan
        from tiffin.build.engines import select_engine
        from tiffin.build.plan import BuildOptions, plan_setuptools
        from tiffin.spec.tags import default_tag

        engine = select_engine(self.engine)
        project = self._project(sdist)
        if not project.entries(self.role):
            raise SpecError(
                f"{project.name} has no tiffin.{self.role} (or baklava.{self.role}) entry point",
                hint="declare one in setup(entry_points=...)",
            )
        name = self.distribution.get_name()
        tag = self.tag or default_tag(f"{name}-{self.get_command_name()}", project.version)
        options = BuildOptions(tag, self.base_image, not self.no_hermetic, self.mode)
        chosen = {self.role: self.entrypoint} if self.entrypoint else None
        plan = plan_setuptools(project, sdist, options, os.environ, chosen)
        with tempfile.TemporaryDirectory(prefix="tiffin-build-") as tmp:
            note = None if self.no_hermetic else HERMETIC_DEFAULT
            return build_plan(plan, engine, Path(tmp) / "context", note=note).tag

    def _project(self, sdist: Path) -> SetuptoolsProject:
        """The project as its sdist describes it, with this run's setup keywords."""
        project = read_sdist(sdist)
        python_version = getattr(self.distribution, "python_version", None)
        dockerlines = getattr(self.distribution, "dockerlines", None)
        return replace(
            project,
            python_version=python_version or project.python_version or _running_python(),
            dockerlines=tuple(_lines(dockerlines)) if dockerlines else project.dockerlines,
        )


class Train(ImageCommand):
    """``python setup.py train``: an image running the ``train`` entry point."""

    description = "build a container image that trains with the tiffin.train entry point"
    role = "train"
    mode = "train"


class Predict(ImageCommand):
    """``python setup.py predict``: an image serving the ``predict`` entry point."""

    description = "build a container image that serves the tiffin.predict entry point"
    role = "predict"
    mode = "serve"


class Execute(ImageCommand):
    """``python setup.py execute``: an image running the ``execute`` entry point as a batch."""

    description = "build a container image that runs the tiffin.execute entry point on files"
    role = "execute"
    mode = "batch"


def check_python_version(dist: Any, attr: str, value: Any) -> None:
    """The ``python_version`` setup keyword: a string such as ``"3.11"``, ``"3.11.7"``, ``"3"``.

    A version older than tiffin supports is accepted; the image then runs the oldest
    supported Python, and the build says so.
    """
    if value is None:
        return
    if not isinstance(value, str) or normalize_python_version(value) is None:
        raise SetupError(f'{attr} should be a string like "3.11" or "3.11.7", not {value!r}')


def check_dockerlines(dist: Any, attr: str, value: Any) -> None:
    """The ``dockerlines`` setup keyword: a list of Dockerfile lines, or one text of them."""
    if value is None:
        return
    if not isinstance(value, str | list | tuple) or not all(isinstance(v, str) for v in value):
        raise SetupError(f"{attr} should be a list of Dockerfile lines, not {value!r}")
    setattr(dist, attr, _lines(value))


def write_image_keywords(cmd: Any, basename: str, filename: str) -> None:
    """Record ``python_version`` and ``dockerlines`` in the egg-info, so the sdist has them."""
    dist = cmd.distribution
    data = {key: getattr(dist, key, None) for key in ("python_version", "dockerlines")}
    data = {key: value for key, value in data.items() if value}
    text = json.dumps(data, indent=2) + "\n" if data else None
    cmd.write_or_delete_file(KEYWORDS_FILE, filename, text)


def _lines(value: str | list[str] | tuple[str, ...]) -> list[str]:
    if isinstance(value, str):
        return [line for line in textwrap.dedent(value).splitlines() if line.strip()]
    return [line for line in value if line.strip()]


def _running_python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"
