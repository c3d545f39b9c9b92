"""Write a build context: two directories, each a complete context for one engine build.

::

    dependencies/   the dependencies image (built only when its digest is new)
        Dockerfile  .dockerignore  requirements.txt  tiffin-requirements.txt
        tiffin/     a wheel of the running tiffin
        wheels/     every other wheel, downloaded on the host (hermetic builds only)
    image/          the package, FROM the dependencies image
        Dockerfile  .dockerignore
        data/ model/ app/   data, model weights, code (one layer each)
        project/    a setuptools project's own wheel
    build.sh        the two builds, to run by hand

The dependencies image is tagged ``localhost/<name>-deps:<digest>``, the digest covering
its Dockerfile and every file it copies: same dependencies, same tag, nothing to build.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from tiffin.build import hermetic, process, sdist, selfwheel
from tiffin.build.files import tree_digest
from tiffin.build.plan import BuildPlan
from tiffin.build.process import CommandRunner, LineSink
from tiffin.build.render import (
    render_build_script,
    render_dependencies_dockerfile,
    render_dockerignore,
    render_image_dockerfile,
    render_requirements,
    render_tiffin_requirements,
)
from tiffin.errors import SpecError
from tiffin.spec.extras import OwnRequirements, UnknownExtra

Say = Callable[[str], None]
DEPENDENCIES = "dependencies"
IMAGE = "image"
_REPOSITORY = re.compile(r"[^a-z0-9._-]+")


def write_context(plan: BuildPlan, out: Path, tiffin_requirements: OwnRequirements) -> str:
    """Write the context without wheels; returns the dependencies image's reference.

    Pure apart from copying the package's files; :func:`prepare_context` adds the wheels.
    """
    write_files(plan, out, tiffin_requirements)
    return write_dockerfiles(plan, out)


def write_files(plan: BuildPlan, out: Path, tiffin_requirements: OwnRequirements) -> None:
    """Everything but the Dockerfiles and the wheels.

    ``tiffin-requirements.txt`` holds tiffin's core requirements, then those of each of
    the plan's ``tiffin_extras`` not listed yet.
    """
    dependencies, image = out / DEPENDENCIES, out / IMAGE
    for directory in (dependencies, image):
        directory.mkdir(parents=True, exist_ok=True)
        (directory / ".dockerignore").write_text(render_dockerignore())
    title = "the package's requirements"
    (dependencies / "requirements.txt").write_text(render_requirements(title, plan.requirements))
    try:
        sections = tiffin_requirements.sections(plan.tiffin_extras)
    except UnknownExtra as exc:
        raise SpecError(str(exc), key="tiffin_extras", hint=exc.hint) from exc
    own = render_tiffin_requirements(tiffin_requirements.core, sections)
    (dependencies / "tiffin-requirements.txt").write_text(own)
    for layer in plan.layers:
        (image / layer.context_dir).mkdir(exist_ok=True)
        for source, relative in layer.files:
            place_file(source, image / layer.context_dir / relative)
    for relative, text in plan.generated:
        target = image / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def write_dockerfiles(plan: BuildPlan, out: Path) -> str:
    """Render both Dockerfiles and build.sh, once the dependencies' files are all in place.

    Returns the dependencies image's reference.
    """
    dependencies = out / DEPENDENCIES
    (dependencies / "Dockerfile").write_text(render_dependencies_dockerfile(plan))
    reference = dependencies_image(plan, dependencies)
    (out / IMAGE / "Dockerfile").write_text(render_image_dockerfile(plan, reference))
    script = out / "build.sh"
    script.write_text(render_build_script(plan, reference))
    script.chmod(0o755)
    return reference


def dependencies_image(plan: BuildPlan, directory: Path) -> str:
    """``localhost/<name>-deps:<digest>`` of the dependencies context in ``directory``."""
    files = [p for p in sorted(directory.rglob("*")) if p.is_file()]
    digest = tree_digest([(p.relative_to(directory).as_posix(), p) for p in files])
    name = _REPOSITORY.sub("-", plan.spec.name.lower()).strip("._-") or "model"
    return f"localhost/{name}-deps:{digest.removeprefix('sha256:')[:16]}"


def place_file(source: Path, target: Path) -> None:
    """Put ``source`` at ``target``, readable by everyone (the image runs as a non-root user).

    A file that already is world-readable is hard-linked when possible, so large weights
    are not copied; any other file is copied and given mode 0644 (0755 if executable).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = source.stat().st_mode
    wanted = 0o755 if mode & stat.S_IXUSR else 0o644
    if stat.S_IMODE(mode) == wanted:
        try:
            os.link(source, target)
            return
        except OSError:
            pass
    shutil.copyfile(source, target)
    target.chmod(wanted)


def add_wheels(
    plan: BuildPlan,
    out: Path,
    cache_dir: Path,
    *,
    say: Say,
    runner: CommandRunner = process.run,
    on_line: LineSink | None = None,
) -> None:
    """Add the wheels: tiffin's own, the project's, and (hermetic) every requirement's."""
    dependencies = out / DEPENDENCIES
    wheel = selfwheel.tiffin_wheel(cache_dir)
    (dependencies / "tiffin").mkdir(exist_ok=True)
    place_file(wheel, dependencies / "tiffin" / wheel.name)
    if plan.project_sdist is not None:
        say(f"building a wheel of {plan.project_sdist.name}")
        sdist.build_project_wheel(plan.project_sdist, out / IMAGE / "project", runner)
    if plan.hermetic:
        say(f"hermetic build: resolving the requirements for {plan.target.describe()} on the host")
        files = [dependencies / "requirements.txt", dependencies / "tiffin-requirements.txt"]
        wheels = hermetic.download_wheels(
            files, plan.target, dependencies / "wheels", cache_dir, runner=runner, on_line=on_line
        )
        say(f"{len(wheels)} wheels ready ({_size(wheels)})")


def prepare_context(
    plan: BuildPlan,
    out: Path,
    cache_dir: Path,
    *,
    say: Say,
    runner: CommandRunner = process.run,
    on_line: LineSink | None = None,
) -> str:
    """Write the whole build context of ``plan``; returns the dependencies image's reference."""
    write_files(plan, out, selfwheel.installed().own)
    add_wheels(plan, out, cache_dir, say=say, runner=runner, on_line=on_line)
    return write_dockerfiles(plan, out)


def _size(files: Sequence[Path]) -> str:
    total = sum(file.stat().st_size for file in files)
    return f"{total / 1e6:.0f} MB"
