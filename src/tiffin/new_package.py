"""Write new packages from the templates shipped with tiffin."""

from __future__ import annotations

import re
import sys
from importlib import resources
from pathlib import Path

from tiffin.errors import SpecError
from tiffin.spec import NAME_PATTERN
from tiffin.templating import template_environment

TEMPLATE_FILES: dict[str, dict[str, str]] = {
    "basic": {
        "tiffin.yaml.jinja": "tiffin.yaml",
        "predictor.py.jinja": "predictor.py",
        "weights.json.jinja": "model/weights.json",
        "requirements.txt.jinja": "requirements.txt",
        "test_predictor.py.jinja": "tests/test_predictor.py",
        "README.md.jinja": "README.md",
    },
    "sagemaker": {
        "tiffin.yaml.jinja": "tiffin.yaml",
        "train.py.jinja": "train.py",
        "serve.py.jinja": "serve.py",
        "requirements.txt.jinja": "requirements.txt",
        "tiffinignore.jinja": ".tiffinignore",
        "test_model.py.jinja": "tests/test_model.py",
        "README.md.jinja": "README.md",
    },
}
"""Per template: each Jinja file under templates/init/<template>/ and where it is written.
Files under templates/init/<template>/static/ are copied as they are."""
TEMPLATES = tuple(TEMPLATE_FILES)
EMPTY_DIRS = {"basic": ("data",), "sagemaker": ("model",)}


def class_name_for(name: str) -> str:
    """``iris-classifier`` -> ``IrisClassifier``."""
    words = re.split(r"[^A-Za-z0-9]+", name)
    camel = "".join(word[:1].upper() + word[1:] for word in words if word)
    return camel if camel[:1].isalpha() else f"Model{camel}"


def write_new_package(
    name: str, target: Path, *, template: str = "basic", force: bool = False
) -> list[Path]:
    """Render a template into ``target``; refuse a non-empty directory unless forced.

    ``basic`` is a model class with its weights; ``sagemaker`` a project with ``train.py``
    and ``serve.py`` to fill, sample data and a README from local training to an endpoint.
    """
    if template not in TEMPLATE_FILES:
        raise SpecError(
            f"unknown template {template!r}", hint=f"choose one of: {', '.join(TEMPLATES)}"
        )
    if not re.match(NAME_PATTERN, name):
        raise SpecError(
            f"invalid package name {name!r}: use letters, digits, '.', '_' and '-'",
            hint="e.g. tiffin init iris-classifier",
        )
    if target.exists() and any(target.iterdir()) and not force:
        raise SpecError(
            f"{target} already exists and is not empty",
            hint="choose another --dir, or pass --force to write into it",
        )
    env = template_environment(f"init/{template}")
    context = {
        "name": name,
        "class_name": class_name_for(name),
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
    }
    written = []
    for source, relative in TEMPLATE_FILES[template].items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(env.get_template(source).render(context))
        written.append(path)
    written += _copy_static(template, target)
    for directory in EMPTY_DIRS[template]:
        (target / directory).mkdir(exist_ok=True)
    return written


def _copy_static(template: str, target: Path) -> list[Path]:
    """Copy templates/init/<template>/static/ into ``target`` as it is."""
    static = resources.files("tiffin").joinpath("templates").joinpath("init")
    static = static.joinpath(template).joinpath("static")
    if not static.is_dir():
        return []
    copied = []
    pending = [(static, target)]
    while pending:
        source, destination = pending.pop()
        for entry in source.iterdir():
            if entry.is_dir():
                pending.append((entry, destination / entry.name))
            else:
                destination.mkdir(parents=True, exist_ok=True)
                (destination / entry.name).write_bytes(entry.read_bytes())
                copied.append(destination / entry.name)
    return sorted(copied)
