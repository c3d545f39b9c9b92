"""Build an image: plan it, render and fill the context, then hand it to the engine.

Nothing touches an engine before the context is complete, and the engine is the last
thing called: a bad spec, a missing requirement or a missing wheel fails first. The
engine then builds the dependencies image, unless it has it already, and the image.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tiffin.build import process
from tiffin.build.context import DEPENDENCIES, IMAGE, prepare_context
from tiffin.build.engines import Engine, select_engine
from tiffin.build.failures import explain_build_failure
from tiffin.build.plan import BuildOptions, BuildPlan, plan_package, plan_setuptools
from tiffin.build.process import CommandRunner
from tiffin.build.progress import BuildProgress
from tiffin.build.sdist import build_sdist, is_sdist, is_setuptools_project
from tiffin.spec import load_spec
from tiffin.spec.setuptools import read_sdist

HERMETIC_DEFAULT = (
    "hermetic build (the default): wheels are resolved on the host and installed with "
    "--no-index, so the build needs no network; --no-hermetic lets the engine download them"
)


@dataclass(frozen=True)
class BuiltImage:
    """An image that was built: its tag, how, and how long it took."""

    tag: str
    engine: str
    hermetic: bool
    seconds: float
    log_file: Path
    sources_digest: str
    dependencies_image: str
    """``localhost/<name>-deps:<digest>``, the image it was built ``FROM``."""


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """tiffin's one cache root (wheels, build logs, fetched models): see
    :func:`tiffin.storage.cache_root`."""
    from tiffin.storage import cache_root

    return cache_root(environ)


def plan_for(
    path: str | Path,
    options: BuildOptions,
    *,
    workdir: Path,
    environ: Mapping[str, str] | None = None,
    chosen: Mapping[str, str] | None = None,
    runner: CommandRunner = process.run,
) -> BuildPlan:
    """The plan for a package directory, spec file, ``.py`` file, setuptools project or sdist."""
    environ = os.environ if environ is None else environ
    given = Path(path)
    sdist = given if is_sdist(given) else None
    if sdist is None and given.is_dir() and is_setuptools_project(given):
        sdist = build_sdist(given.resolve(), workdir / "sdist", runner)
    if sdist is not None:
        return plan_setuptools(read_sdist(sdist), sdist, options, environ, chosen)
    return plan_package(load_spec(given), options, environ)


def build_image(
    path: str | Path = ".",
    *,
    tag: str | None = None,
    engine: str | Engine | None = None,
    hermetic: bool | None = None,
    base_image: str | None = None,
    default_mode: str = "serve",
    no_cache: bool = False,
    stream: TextIO | None = None,
    extras: Iterable[str] = (),
) -> BuiltImage:
    """Build the image of a package (or setuptools project, or sdist) and tag it.

    ``engine`` is a name (docker, buildx, podman, buildah), an :class:`Engine`, or None
    to use ``TIFFIN_ENGINE`` or whichever is installed. ``hermetic`` defaults to True.
    ``no_cache`` rebuilds every layer. BuildProgress goes to ``stream`` (stderr by default).
    ``extras`` are tiffin's extras to install on top of the spec's ``tiffin_extras``.
    """
    chosen = engine if isinstance(engine, Engine) else select_engine(engine)
    options = BuildOptions(
        tag, base_image, True if hermetic is None else hermetic, default_mode, tuple(extras)
    )
    with tempfile.TemporaryDirectory(prefix="tiffin-build-") as tmp:
        plan = plan_for(path, options, workdir=Path(tmp))
        note = HERMETIC_DEFAULT if hermetic is None else None
        context = Path(tmp) / "context"
        return build_plan(plan, chosen, context, stream=stream, note=note, no_cache=no_cache)


def build_plan(
    plan: BuildPlan,
    engine: Engine,
    context: Path,
    *,
    stream: TextIO | None = None,
    note: str | None = None,
    no_cache: bool = False,
    environ: Mapping[str, str] | None = None,
) -> BuiltImage:
    """Fill ``context`` with ``plan``, then build the dependencies image (when it is new)
    and the image with ``engine``."""
    started = time.monotonic()
    cache = cache_dir(environ)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    log_file = cache / "logs" / f"build-{plan.spec.name}-{stamp}-{os.getpid()}.log"
    with BuildProgress(log_file, stream=stream) as progress:
        for message in (*plan.notes, note):
            if message:
                progress.say(message)
        dependencies = prepare_context(
            plan, context, cache, say=progress.say, on_line=progress.line
        )
        steps = [(DEPENDENCIES, dependencies), (IMAGE, plan.tag)]
        if not no_cache and engine.image_exists(dependencies):
            progress.say(f"dependencies image {dependencies} is up to date")
            steps = steps[1:]
        for directory, tag in steps:
            progress.say(f"building {tag} with {engine.name}")
            done = engine.build(context / directory, tag, no_cache=no_cache, on_line=progress.line)
            if not done.ok:
                break
    if not done.ok:
        raise explain_build_failure(engine.name, done, plan, str(log_file))
    return BuiltImage(
        plan.tag,
        engine.name,
        plan.hermetic,
        time.monotonic() - started,
        log_file,
        plan.sources_digest,
        dependencies,
    )
