"""Container engines: pick the one to use, by name or by what is installed.

``--engine`` (or ``TIFFIN_ENGINE``) names one of docker, buildx, podman, buildah.
Otherwise the first usable of docker (its daemon answering; ``docker buildx`` when the
plugin is there), podman, buildah is used.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping

from tiffin.build import process
from tiffin.build.engines.base import CliEngine, Engine, Mount, RunOptions, Which
from tiffin.build.engines.buildah import BuildahEngine
from tiffin.build.engines.docker import BuildxEngine, DockerEngine
from tiffin.build.engines.podman import PodmanEngine
from tiffin.build.process import CommandRunner
from tiffin.errors import EngineNotFound

__all__ = ["ENGINES", "Engine", "Mount", "RunOptions", "select_engine"]

ENGINES: dict[str, type[CliEngine]] = {
    "docker": DockerEngine,
    "buildx": BuildxEngine,
    "podman": PodmanEngine,
    "buildah": BuildahEngine,
}
AUTO_ORDER = ("docker", "podman", "buildah")
ENGINE_VARIABLE = "TIFFIN_ENGINE"


def select_engine(
    name: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    runner: CommandRunner = process.run,
    which: Which = shutil.which,
) -> Engine:
    """The engine named by ``name`` or ``TIFFIN_ENGINE``, else the first usable one.

    Raises :class:`EngineNotFound` when the named engine is unknown or unusable, or
    when no engine at all is usable.
    """
    environ = os.environ if environ is None else environ
    wanted = name or environ.get(ENGINE_VARIABLE, "").strip() or None
    if wanted is not None:
        return _named(wanted.lower(), runner, which)
    for key in AUTO_ORDER:
        engine = ENGINES[key](runner=runner, which=which)
        if engine.unusable() is None:
            return _prefer_buildx(engine, runner, which)
    raise EngineNotFound()


def _named(name: str, runner: CommandRunner, which: Which) -> Engine:
    if name not in ENGINES:
        raise EngineNotFound(name, f"unknown engine; use one of {', '.join(ENGINES)}")
    engine = ENGINES[name](runner=runner, which=which)
    reason = engine.unusable()
    if reason:
        raise EngineNotFound(name, reason)
    return engine


def _prefer_buildx(engine: Engine, runner: CommandRunner, which: Which) -> Engine:
    """docker with the buildx plugin (and a real Docker daemon) builds with BuildKit."""
    if not isinstance(engine, DockerEngine):
        return engine
    buildx = BuildxEngine(runner=runner, which=which)
    return buildx if buildx.unusable() is None else engine
