"""Write new packages from the templates shipped with tiffin."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from tiffin.errors import SpecError
from tiffin.spec import NAME_PATTERN

INIT_FILES = {
    "tiffin.yaml.jinja": "tiffin.yaml",
    "predictor.py.jinja": "predictor.py",
    "weights.json.jinja": "model/weights.json",
    "requirements.txt.jinja": "requirements.txt",
    "test_predictor.py.jinja": "tests/test_predictor.py",
    "README.md.jinja": "README.md",
}


def class_name_for(name: str) -> str:
    """``iris-classifier`` -> ``IrisClassifier``."""
    words = re.split(r"[^A-Za-z0-9]+", name)
    camel = "".join(word[:1].upper() + word[1:] for word in words if word)
    return camel if camel[:1].isalpha() else f"Model{camel}"


def write_new_package(name: str, target: Path, *, force: bool = False) -> list[Path]:
    """Render the init templates into ``target``; refuse a non-empty directory unless forced."""
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
    env = Environment(
        loader=PackageLoader("tiffin", "templates/init"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    context = {
        "name": name,
        "class_name": class_name_for(name),
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
    }
    written = []
    for template, relative in INIT_FILES.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(env.get_template(template).render(context))
        written.append(path)
    (target / "data").mkdir(exist_ok=True)
    return written
