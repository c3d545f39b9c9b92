"""Write new packages from the templates shipped with tiffin."""

from __future__ import annotations

import keyword
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
    "kserve": {
        "tiffin.yaml.jinja": "tiffin.yaml",
        "requirements.txt.jinja": "requirements.txt",
        "tiffinignore.jinja": ".tiffinignore",
        "README.md.jinja": "README.md",
        "package/__init__.py.jinja": "{package}/__init__.py",
        "package/trainer/__init__.py.jinja": "{package}/trainer/__init__.py",
        "package/trainer/__main__.py.jinja": "{package}/trainer/__main__.py",
        "package/trainer/config.py.jinja": "{package}/trainer/config.py",
        "package/trainer/model.py.jinja": "{package}/trainer/model.py",
        "package/trainer/preprocessor.py.jinja": "{package}/trainer/preprocessor.py",
        "package/trainer/postprocessor.py.jinja": "{package}/trainer/postprocessor.py",
        "package/trainer/utils.py.jinja": "{package}/trainer/utils.py",
        "package/trainer/data/iris.csv.jinja": "{package}/trainer/data/iris.csv",
        "package/inferencer/__init__.py.jinja": "{package}/inferencer/__init__.py",
        "package/inferencer/model.py.jinja": "{package}/inferencer/model.py",
        "model.json.jinja": "model/model.json",
        "tests/conftest.py.jinja": "tests/conftest.py",
        "tests/test_trainer.py.jinja": "tests/test_trainer.py",
        "tests/test_inferencer.py.jinja": "tests/test_inferencer.py",
    },
}
"""Per template: each Jinja file under templates/init/<template>/ and where it is written
(``{package}`` is the Python package name of NAME). Files under
templates/init/<template>/static/ are copied as they are."""
TEMPLATES = tuple(TEMPLATE_FILES)
EMPTY_DIRS = {"basic": ("data",), "sagemaker": ("model",), "kserve": ()}


def class_name_for(name: str) -> str:
    """``iris-classifier`` -> ``IrisClassifier``."""
    words = re.split(r"[^A-Za-z0-9]+", name)
    camel = "".join(word[:1].upper() + word[1:] for word in words if word)
    return camel if camel[:1].isalpha() else f"Model{camel}"


TAKEN_NAMES = frozenset({"numpy", "scipy", "sklearn", "joblib", "pytest", "tiffin", "tests"})
"""Modules a generated package imports (or is tested with), which its name must not shadow."""


def package_name_for(name: str) -> str:
    """``Iris-Classifier.v2`` -> ``iris_classifier_v2``: NAME as a Python package name.

    A name that is not an identifier, a keyword, or that would shadow a standard-library
    module or one the package imports gets ``model_`` in front or ``_model`` after it.
    """
    words = re.split(r"[^A-Za-z0-9]+", name.lower())
    package = "_".join(word for word in words if word)
    if not package or package[0].isdigit() or keyword.iskeyword(package):
        return f"model_{package}".rstrip("_")
    if package in TAKEN_NAMES or package in sys.stdlib_module_names:
        return f"{package}_model"
    return package


def write_new_package(
    name: str, target: Path, *, template: str = "basic", force: bool = False
) -> list[Path]:
    """Render a template into ``target``; refuse a non-empty directory unless forced.

    ``basic`` is a model class with its weights; ``sagemaker`` a project with ``train.py``
    and ``serve.py`` to fill, sample data and a README from local training to an endpoint;
    ``kserve`` a package with ``trainer/`` and ``inferencer/`` modules, example data and
    trained weights, and a README from training to a KServe InferenceService.
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
        "package": package_name_for(name),
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
    }
    written = []
    for source, relative in TEMPLATE_FILES[template].items():
        path = target / relative.format(package=context["package"])
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
