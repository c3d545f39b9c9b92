"""Dependency arrows point one way: each part of tiffin imports only the layers below it.

Every ``import`` and ``from ... import`` in src/tiffin is read (lazy ones inside
functions too) and mapped to the part it comes from (``tiffin.server.app`` -> ``server``).
A part may import itself and any part of a lower layer; an import within a layer between
two parts ("sideways") or upwards fails, naming the file and line.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from servers import ROOT

SRC = ROOT / "src" / "tiffin"

LAYERS: list[set[str]] = [
    {"__main__"},  # python -m tiffin
    {"__init__", "cli", "entrypoint"},  # edges: the public API, the commands, the image
    {"deploy", "packaging"},  # facades over building, serving, training
    {"build", "server", "jobs", "sink"},  # images, HTTP, training and batch jobs, metrics sink
    {"console"},  # the browser console over the protocols and the dataplane
    {"protocols"},  # wire formats over the dataplane
    {"inference"},  # the protocol-neutral pipeline core
    {"events"},  # prediction, feedback and metrics events to Kafka
    {"model", "codecs", "frameworks", "storage", "new_package", "opt_ml"},
    {"spec", "privileges", "templating", "metrics"},  # metrics: what a model reports
    {"errors", "types", "version"},
]
LAYER_OF = {part: depth for depth, parts in enumerate(LAYERS) for part in parts}


def part_of(module: str) -> str | None:
    """``tiffin.server.app`` -> ``server``; ``tiffin`` -> ``__init__``; others -> None."""
    names = module.split(".")
    if names[0] != "tiffin":
        return None
    return names[1] if len(names) > 1 else "__init__"


def module_name(path: Path) -> str:
    relative = path.relative_to(SRC.parent).with_suffix("")
    return ".".join(relative.parts).removesuffix(".__init__")


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in ``path``; ``from tiffin import x`` -> x's."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "tiffin":
                found += [(node.lineno, f"tiffin.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def arrows() -> list[tuple[str, int, str, str]]:
    """(file, line, from part, to part) for every import between two parts of tiffin."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        source = part_of(module_name(path))
        assert source is not None
        for line, module in imports(path):
            target = part_of(module)
            if target is None or target == source:
                continue
            if target not in LAYER_OF and not (SRC / f"{target}.py").exists():
                target = "__init__"  # ``from tiffin import load``: a name of the package root
            found.append((str(path.relative_to(ROOT)), line, source, target))
    return found


def test_every_part_has_a_layer() -> None:
    parts = {p.stem if p.is_file() else p.name for p in SRC.iterdir() if p.suffix in ("", ".py")}
    parts -= {"templates", "__pycache__"}
    assert parts - set(LAYER_OF) == set(), "add the new part to LAYERS"


def test_imports_only_point_down() -> None:
    wrong = [
        f"{file}:{line}: {source} imports {target}"
        + (" (sideways)" if LAYER_OF[source] == LAYER_OF[target] else " (upwards)")
        for file, line, source, target in arrows()
        if LAYER_OF[target] <= LAYER_OF[source]
    ]
    assert wrong == []


@pytest.mark.parametrize("part", sorted(p for p in LAYER_OF if p not in ("__main__",)))
def test_each_part_imports_first_in_a_fresh_interpreter(part: str) -> None:
    """No import cycle hides behind the order modules happen to be imported in."""
    module = "tiffin" if part == "__init__" else f"tiffin.{part}"
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
