"""Render everything in a package besides the saved model: spec, class, README, metadata.

tiffin.yaml            the spec, pointing at serving:<Class>
serving.py             the editable model class the adapter generates
requirements.txt       pinned requirements (see requirements.py)
README.md              the edit-test-serve-build loop
.tiffin/package.json   framework, versions, creation time
data/                  the user's data_files
<module>.py            the user's own modules the model is built from
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment

from tiffin.errors import PackagingError
from tiffin.frameworks.base import Framework, SavedArtifact
from tiffin.packaging.package import METADATA_FILE, SERVING_MODULE, build_command
from tiffin.packaging.requirements import Requirements
from tiffin.templating import template_environment
from tiffin.version import __version__

DataFiles = Sequence[str | Path] | Mapping[str, str | Path]
"""Extra files for ``data/``: paths (kept under their own names), or ``{name: path}``."""


@dataclass(frozen=True)
class PackagePlan:
    """What tiffin.package() decided about a package, before anything is written."""

    name: str
    directory: str
    """The target directory's name, for the README's examples."""
    class_name: str
    python_version: str
    framework: Framework
    model_type: str
    probabilities: bool
    requirements: Requirements
    example_width: int | None
    created: str

    @property
    def model_ref(self) -> str:
        return f"{SERVING_MODULE}:{self.class_name}"


def write_contents(
    root: Path, plan: PackagePlan, artifact: SavedArtifact, data_files: Mapping[str, Path]
) -> None:
    """Write every file of the package but the artifact (already in ``root/model``)."""
    source = plan.framework.model_class_source(artifact, class_name=plan.class_name)
    (root / f"{SERVING_MODULE}.py").write_text(source)
    context = _context(plan, artifact)
    for template in ("tiffin.yaml", "requirements.txt", "README.md"):
        (root / template).write_text(_render(f"{template}.jinja", context))
    metadata = root / METADATA_FILE
    metadata.parent.mkdir()
    metadata.write_text(json.dumps(_metadata(plan, artifact), indent=2) + "\n")
    copy_data_files(data_files, root / "data")
    copy_local_modules(plan.requirements.local_modules, root)


def data_file_pairs(data_files: DataFiles | None) -> dict[str, Path]:
    """``{name in data/: source}``, checked: a missing source is a PackagingError."""
    items = (
        data_files.items()
        if isinstance(data_files, Mapping)
        else ((Path(p).name, p) for p in data_files or [])
    )
    pairs = {str(name): Path(source) for name, source in items}
    for name, source in pairs.items():
        if not source.exists():
            raise PackagingError(f"data file {source} does not exist",
                                 hint="check the paths given as data_files")  # fmt: skip
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise PackagingError(f"data file name {name!r} must be a path inside data/")
    return pairs


def copy_data_files(pairs: Mapping[str, Path], data_dir: Path) -> None:
    """Copy files and directories into ``data_dir`` under their names."""
    for name, source in pairs.items():
        destination = data_dir / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination, dirs_exist_ok=True)
        else:
            shutil.copy2(source, destination)


def copy_local_modules(modules: Mapping[str, Path], root: Path) -> None:
    """Copy the user's own modules (a .py file or a package directory) to the package root."""
    for name, source in modules.items():
        if name == SERVING_MODULE:
            raise PackagingError(
                f"the model is built from your module {name!r} ({source}), which would clash "
                f"with the package's {SERVING_MODULE}.py",
                hint="rename your module",
            )
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", ".*")
            shutil.copytree(source, root / name, ignore=ignore)
        else:
            shutil.copy2(source, root / source.name)


def _environment() -> Environment:
    return template_environment("package")


def _render(template: str, context: dict[str, Any]) -> str:
    return _environment().get_template(template).render(context)


def _context(plan: PackagePlan, artifact: SavedArtifact) -> dict[str, Any]:
    width = plan.example_width or 3
    example = [[0.0] * width]
    return {
        "name": plan.name,
        "dirname": plan.directory,
        "description": f"{_short(plan.model_type)} ({plan.framework.name}), "
        "packaged by tiffin.package()",
        "model_ref": plan.model_ref,
        "python_version": plan.python_version,
        "lines": plan.requirements.lines,
        "created": plan.created,
        "framework": plan.framework.name,
        "model_type": _short(plan.model_type),
        "module": SERVING_MODULE,
        "class_name": plan.class_name,
        "artifacts": [f"model/{file}" for file in artifact.files],
        "local_modules": _local_names(plan.requirements.local_modules),
        "example": json.dumps(example),
        "example_known": plan.example_width is not None,
        "example_shape": json.dumps([1, width]),
        "example_data": json.dumps(example[0]),
        "probabilities": plan.probabilities,
        "build_command": build_command(".", plan.name, "1"),
    }


def _short(qualified: str) -> str:
    return qualified.rpartition(".")[2]


def _local_names(modules: Mapping[str, Path]) -> list[str]:
    return [f"{name}/" if path.is_dir() else path.name for name, path in modules.items()]


def _metadata(plan: PackagePlan, artifact: SavedArtifact) -> dict[str, Any]:
    return {
        "framework": plan.framework.name,
        "model_type": plan.model_type,
        "model": plan.model_ref,
        "artifacts": [f"model/{file}" for file in artifact.files],
        "probabilities": plan.probabilities,
        "python_version": ".".join(map(str, sys.version_info[:3])),
        "tiffin_version": __version__,
        "created": plan.created,
        "distributions": plan.requirements.versions,
        "local_modules": _local_names(plan.requirements.local_modules),
    }
