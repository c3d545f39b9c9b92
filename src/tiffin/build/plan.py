"""What goes into an image, decided from a spec before anything is written or run.

A :class:`BuildPlan` says which base image, requirements and files an image gets and in
which layers. It is computed from a class package (``tiffin.yaml``, ``[tool.tiffin]`` or
a single ``.py`` file) by :func:`plan_package`, or from a setuptools project by
:func:`plan_setuptools`; everything after this point treats both alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import yaml

from tiffin.build.extras import image_extras
from tiffin.build.files import ignore_patterns, package_files, tree_digest
from tiffin.build.sdist import sdist_entries
from tiffin.build.target import Target, host_target
from tiffin.errors import SpecError
from tiffin.spec import LoadedSpec, ProjectSpec
from tiffin.spec.python import image_python
from tiffin.spec.setuptools import SetuptoolsProject, project_spec
from tiffin.spec.tags import default_tag
from tiffin.version import __version__

APP_DIR = "/opt/tiffin/app"
"""Where the package lives in the image (the working directory)."""
MODES = ("serve", "train", "batch")
BASE_IMAGE_VARIABLE = "TIFFIN_BASE_IMAGE"
_APT_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]*(?:=[A-Za-z0-9.+:~-]+)?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Layer:
    """Files copied into the image by one COPY: ``context_dir/`` -> ``image_dir/``."""

    context_dir: str
    image_dir: str
    files: tuple[tuple[Path, str], ...]
    """(source file, path relative to ``context_dir``) pairs."""


@dataclass(frozen=True)
class BuildOptions:
    """Choices made on the command line or in the API rather than in the spec."""

    tag: str | None = None
    base_image: str | None = None
    hermetic: bool = True
    default_mode: str = "serve"
    extras: tuple[str, ...] = ()
    """tiffin's extras to install on top of the spec's ``tiffin_extras`` (``--extra``)."""


@dataclass(frozen=True)
class BuildPlan:
    """Everything an image build needs, in the order the Dockerfile uses it."""

    spec: ProjectSpec
    tag: str
    base_image: str
    target: Target
    hermetic: bool
    default_mode: str
    requirements: tuple[str, ...]
    layers: tuple[Layer, ...]
    """Copied in this order: data, then model weights, then code (least to most changed)."""
    generated: tuple[tuple[str, str], ...] = ()
    """Files written into the context verbatim: (context path, text)."""
    project_sdist: Path | None = None
    """A setuptools project's sdist, installed into the image as a wheel."""
    sources_digest: str = ""
    notes: tuple[str, ...] = ()
    """What the user should know about choices made for them (shown before building)."""
    tiffin_extras: tuple[str, ...] = ()
    """tiffin's extras whose requirements the image installs next to its core ones."""

    @property
    def labels(self) -> dict[str, str]:
        """OCI and SageMaker labels of the image."""
        labels = {
            "org.opencontainers.image.title": self.spec.name,
            "org.opencontainers.image.version": self.spec.version,
            "org.opencontainers.image.base.name": self.base_image,
            "io.tiffin.version": __version__,
            "io.tiffin.sources.digest": self.sources_digest,
            "io.tiffin.default-mode": self.default_mode,
            "com.amazonaws.sagemaker.capabilities.accept-bind-to-port": "true",
        }
        if self.spec.description:
            labels["org.opencontainers.image.description"] = self.spec.description
        return labels


def plan_package(
    loaded: LoadedSpec, options: BuildOptions, environ: Mapping[str, str]
) -> BuildPlan:
    """The plan of a class package: its directory (or single file), model and data."""
    spec, root = loaded.spec, loaded.root
    single_file = loaded.source is not None and loaded.source.suffix == ".py"
    extra = [
        _existing_layer(spec.resolved_data_dir(root), root, "data", spec.data_dir),
        _existing_layer(spec.resolved_model_dir(root), root, "model", spec.model_dir),
    ]
    layers = [layer for layer in extra if layer is not None]
    if single_file:
        assert loaded.source is not None
        app = Layer("app", APP_DIR, ((loaded.source, loaded.source.name),))
        generated: tuple[tuple[str, str], ...] = (
            ("app/tiffin.yaml", image_spec(spec, f"the file {loaded.source.name}")),
        )
    else:
        skip = [spec.resolved_data_dir(root), spec.resolved_model_dir(root)]
        files = package_files(root, ignore_patterns(root), skip=skip)
        app = Layer("app", APP_DIR, tuple((root / f, f.as_posix()) for f in files))
        generated = ()
    requirements = (*spec.requirements, *_requirements_file(spec, root))
    return _plan(spec, options, environ, requirements, (*layers, app), generated, None)


def plan_setuptools(
    project: SetuptoolsProject,
    sdist: Path,
    options: BuildOptions,
    environ: Mapping[str, str],
    chosen: Mapping[str, str] | None = None,
) -> BuildPlan:
    """The plan of a setuptools project: its sdist installed as a wheel, and a spec for it."""
    spec = project_spec(project, chosen=chosen)
    origin = f"the setuptools project {project.name} {project.version}"
    generated = (("app/tiffin.yaml", image_spec(spec, origin)),)
    app = Layer("app", APP_DIR, ())
    return _plan(spec, options, environ, spec.requirements, (app,), generated, sdist)


def _plan(
    spec: ProjectSpec,
    options: BuildOptions,
    environ: Mapping[str, str],
    requirements: tuple[str, ...] | list[str],
    layers: tuple[Layer, ...],
    generated: tuple[tuple[str, str], ...],
    sdist: Path | None,
) -> BuildPlan:
    _check_image_fields(spec)
    if options.default_mode not in MODES:
        raise ValueError(f"default_mode must be one of {MODES}, not {options.default_mode!r}")
    python = image_python(spec.python_version)
    extras, extras_note = image_extras(spec, options.extras)
    plan = BuildPlan(
        spec=spec,
        tag=options.tag or default_tag(spec.name, spec.version),
        base_image=base_image_for(spec, options.base_image, environ),
        target=host_target(python.version),
        hermetic=options.hermetic,
        default_mode=options.default_mode,
        requirements=tuple(requirements),
        layers=layers,
        generated=generated,
        project_sdist=sdist,
        notes=tuple(note for note in (python.note, extras_note) if note),
        tiffin_extras=extras,
    )
    return _with_digest(plan)


def base_image_for(spec: ProjectSpec, flag: str | None, environ: Mapping[str, str]) -> str:
    """``--base-image``, else ``TIFFIN_BASE_IMAGE``, else ``base_image``, else python:X.Y-slim.

    X.Y is ``python_version``'s major.minor, at least the oldest Python tiffin supports.
    """
    return (
        flag
        or environ.get(BASE_IMAGE_VARIABLE, "").strip()
        or spec.base_image
        or image_python(spec.python_version).base_image
    )


def image_spec(spec: ProjectSpec, origin: str) -> str:
    """The tiffin.yaml written into an image whose package did not bring its own."""
    data = spec.model_dump(mode="json", exclude_defaults=True)
    data = {"name": spec.name, **data}
    header = f"# Generated by tiffin from {origin}.\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _existing_layer(directory: Path, root: Path, context_dir: str, setting: str) -> Layer | None:
    """A layer for the model or data directory, if it exists inside the package."""
    if not directory.is_dir():
        return None
    resolved, base = directory.resolve(), root.resolve()
    if resolved == base:
        return None
    if not resolved.is_relative_to(base):
        key = f"{context_dir}_dir"
        raise SpecError(
            f"{key} {setting!r} is outside the package; an image holds only the package",
            key=key,
            hint=f"move it into the package, or mount it when running: "
            f"tiffin run IMAGE --{context_dir}-dir DIR",
        )
    relative = PurePosixPath(resolved.relative_to(base).as_posix())
    files = package_files(resolved, ignore_patterns(root))
    if not files:
        return None
    return Layer(
        context_dir, f"{APP_DIR}/{relative}", tuple((resolved / f, f.as_posix()) for f in files)
    )


def _requirements_file(spec: ProjectSpec, root: Path) -> list[str]:
    if not spec.requirements_file:
        return []
    path = root / spec.requirements_file
    if not path.is_file():
        raise SpecError(
            f"requirements_file {spec.requirements_file!r} does not exist",
            key="requirements_file",
            path=str(path),
        )
    lines = (line.split(" #")[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _check_image_fields(spec: ProjectSpec) -> None:
    """Names that end up in Dockerfile instructions must not be able to break them."""
    for package in spec.system_packages:
        if not _APT_NAME.match(package):
            raise SpecError(
                f"system_packages: {package!r} is not a Debian package name",
                key="system_packages",
                hint="e.g. libgomp1 or curl=7.88.1-10",
            )
    for name, value in spec.environment.items():
        if not _ENV_NAME.match(name):
            raise SpecError(
                f"environment: {name!r} is not an environment variable name", key="environment"
            )
        if "\n" in value:
            raise SpecError(
                f"environment: the value of {name} holds a line break, which an image's ENV cannot",
                key="environment",
            )


def _with_digest(plan: BuildPlan) -> BuildPlan:
    entries: list[tuple[str, bytes | Path]] = [
        (f"{layer.context_dir}/{relative}", source)
        for layer in plan.layers
        for source, relative in layer.files
    ]
    entries += [(path, text.encode()) for path, text in plan.generated]
    entries.append(("requirements.txt", "\n".join(plan.requirements).encode()))
    entries.append(("tiffin-extras", "\n".join(plan.tiffin_extras).encode()))
    if plan.project_sdist is not None:
        entries += [(f"project/{name}", data) for name, data in sdist_entries(plan.project_sdist)]
    return replace(plan, sources_digest=tree_digest(entries))
