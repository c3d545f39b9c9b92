"""Render the text files of a build context from a plan: pure, and golden-tested.

Two Dockerfiles, from ``templates/build/``: ``deps.Dockerfile.jinja`` for the
dependencies image and ``image.Dockerfile.jinja`` for the package on top of it;
docs/images.md walks through both.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from jinja2 import Environment

from tiffin.build.plan import APP_DIR, BuildPlan
from tiffin.templating import template_environment
from tiffin.version import __version__

VENV = "/opt/venv"
USER = "tiffin"
UID = 1000
PORT = 8080
GRPC_PORT = 8081
"""The gRPC port the entrypoint serves on by default; exposed when the image has grpc."""


@functools.cache
def _environment() -> Environment:
    environment = template_environment("build")
    environment.filters["dq"] = quote
    environment.filters["pairs"] = pairs
    return environment


def quote(value: str) -> str:
    """A Dockerfile double-quoted string: backslash, quote and ``$`` escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def pairs(items: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """``KEY="value"`` pairs for one ENV or LABEL instruction, one per continued line."""
    entries = items.items() if isinstance(items, Mapping) else items
    return " \\\n    ".join(f"{key}={quote(value)}" for key, value in entries)


def render_dependencies_dockerfile(plan: BuildPlan) -> str:
    """The Dockerfile of the dependencies image: system packages, the venv, dockerlines."""
    spec = plan.spec
    variables: dict[str, Any] = {
        **_common(plan),
        "base_image": plan.base_image,
        "hermetic": plan.hermetic,
        "system_packages": spec.system_packages,
        "environment": sorted(spec.environment.items()),
        "dockerlines": spec.dockerlines,
        "ports": [PORT, GRPC_PORT] if "grpc" in plan.tiffin_extras else [PORT],
    }
    return _environment().get_template("deps.Dockerfile.jinja").render(variables)


def render_image_dockerfile(plan: BuildPlan, dependencies_image: str) -> str:
    """The Dockerfile of the image: the package's layers ``FROM`` its dependencies image."""
    labels = {**plan.labels, "io.tiffin.dependencies-image": dependencies_image}
    variables: dict[str, Any] = {
        **_common(plan),
        "dependencies_image": dependencies_image,
        "layers": plan.layers,
        "project": plan.project_sdist is not None,
        "labels": sorted(labels.items()),
        "default_mode": plan.default_mode,
    }
    return _environment().get_template("image.Dockerfile.jinja").render(variables)


def render_build_script(plan: BuildPlan, dependencies_image: str) -> str:
    """``build.sh``: the two engine builds `tiffin build` runs, for a written-out context."""
    template = _environment().get_template("build.sh.jinja")
    return template.render(name=plan.spec.name, tag=plan.tag, dependencies_image=dependencies_image)


def _common(plan: BuildPlan) -> dict[str, Any]:
    return {
        "name": plan.spec.name,
        "version": plan.spec.version,
        "tiffin_version": __version__,
        "venv": VENV,
        "user": USER,
        "uid": UID,
        "app_dir": APP_DIR,
    }


def render_dockerignore() -> str:
    """The context's ``.dockerignore``."""
    return _environment().get_template("dockerignore.jinja").render()


def render_tiffin_requirements(
    core: Iterable[str], extras: Iterable[tuple[str, Iterable[str]]]
) -> str:
    """``tiffin-requirements.txt``: tiffin's core requirements, then each extra's new ones."""
    template = _environment().get_template("tiffin-requirements.txt.jinja")
    sections = [(name, list(lines)) for name, lines in extras]
    return template.render(version=__version__, core=list(core), extras=sections)


def render_requirements(title: str, requirements: Iterable[str]) -> str:
    """A requirements file: a comment line, then one requirement per line."""
    template = _environment().get_template("requirements.txt.jinja")
    return template.render(title=title, requirements=list(requirements))
