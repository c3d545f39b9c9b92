"""Golden tests of rendered build contexts: no engine, no network.

Each case renders a context and compares, with tiffin's version and digests normalised,
its two Dockerfiles, .dockerignore, requirements.txt, build.sh, the tiffin.yaml tiffin
generated (if it did) and the list of its files with tests/fixtures/build/golden/<case>/.
After an intended change, regenerate them:

    TIFFIN_REGENERATE_GOLDEN=1 .venv/bin/pytest tests/images/test_image_golden.py

and review the difference of the golden files like any other change.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from servers import EXAMPLES, FIXTURES
from tiffin.build.context import write_context
from tiffin.build.plan import BuildOptions, BuildPlan, plan_package, plan_setuptools
from tiffin.spec import load_spec
from tiffin.spec.extras import OwnRequirements
from tiffin.spec.setuptools import read_sdist
from tiffin.version import __version__

GOLDEN = FIXTURES / "build" / "golden"
REGENERATE = os.environ.get("TIFFIN_REGENERATE_GOLDEN") == "1"
COMPARED = (
    "dependencies/Dockerfile",
    "dependencies/requirements.txt",
    "dependencies/tiffin-requirements.txt",
    "dependencies/.dockerignore",
    "image/Dockerfile",
    "build.sh",
)
TIFFIN_REQUIREMENTS = OwnRequirements(
    core=("click>=8.1", "numpy>=1.24"),
    extras={
        "grpc": (
            "grpcio>=1.64",
            "grpcio-health-checking>=1.64",
            "grpcio-reflection>=1.64",
            "protobuf>=5.26.1,<8",
        ),
        "s3": ("fsspec>=2023.1", "s3fs>=2023.1"),
        "http": ("fsspec>=2023.1", "aiohttp>=3.8"),
    },
)
"""tiffin's own requirements as the golden files have them, whatever pyproject.toml says."""


def normalise(text: str) -> str:
    """Replace what changes without the rendering changing: tiffin's version, digests."""
    text = re.sub(r"sha256:[0-9a-f]{64}", "sha256:<digest>", text)
    text = re.sub(r"-deps:[0-9a-f]{16}", "-deps:<digest>", text)
    return text.replace(f"tiffin {__version__}", "tiffin <version>").replace(
        f'io.tiffin.version="{__version__}"', 'io.tiffin.version="<version>"'
    )


def snapshot(plan: BuildPlan, context: Path) -> dict[str, str]:
    """The compared files of a context, and its file list, as text."""
    files = sorted(p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file())
    found = {"files.txt": "\n".join(files) + "\n"}
    for name in (*COMPARED, *(f"image/{path}" for path, _ in plan.generated)):
        if (context / name).is_file():
            found[name.replace("/", "-")] = normalise((context / name).read_text())
    return found


def check_golden(case: str, plan: BuildPlan, out: Path) -> None:
    write_context(plan, out, TIFFIN_REQUIREMENTS)
    actual = snapshot(plan, out)
    directory = GOLDEN / case
    if REGENERATE:
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        for name, text in actual.items():
            (directory / name).write_text(text)
    expected = {p.name: p.read_text() for p in sorted(directory.iterdir())}
    assert sorted(actual) == sorted(expected), f"files differ from {directory}"
    for name, text in expected.items():
        assert actual[name] == text, f"{name} differs from {directory / name}"


@pytest.fixture
def iris_copy(tmp_path: Path) -> Path:
    """The iris example with a stand-in model file, so the golden is independent of training."""
    target = tmp_path / "iris"
    shutil.copytree(
        EXAMPLES / "iris", target, ignore=shutil.ignore_patterns("model", "__pycache__")
    )
    (target / "model").mkdir()
    (target / "model" / "model.joblib").write_bytes(b"weights")
    return target


def test_class_package(iris_copy: Path, tmp_path: Path) -> None:
    plan = plan_package(load_spec(iris_copy), BuildOptions(), environ={})
    check_golden("iris", plan, tmp_path / "context")


def test_package_with_system_packages_dockerlines_environment(tmp_path: Path) -> None:
    plan = plan_package(load_spec(FIXTURES / "build" / "extras"), BuildOptions(), environ={})
    check_golden("extras", plan, tmp_path / "context")


def test_package_fetching_its_model_from_storage_uri(tmp_path: Path) -> None:
    """tiffin_extras [grpc, http], and s3 added for the STORAGE_URI (with a note)."""
    plan = plan_package(load_spec(FIXTURES / "build" / "storage"), BuildOptions(), environ={})
    assert plan.tiffin_extras == ("grpc", "http", "s3")
    check_golden("storage", plan, tmp_path / "context")


def test_function_style_setuptools_project(baklava_sdist: Path, tmp_path: Path) -> None:
    options = BuildOptions(tag="baklava-functions-predict:0.1.0", default_mode="serve")
    plan = plan_setuptools(read_sdist(baklava_sdist), baklava_sdist, options, environ={})
    check_golden("baklava_functions", plan, tmp_path / "context")


def test_non_hermetic_build_installs_from_the_index(iris_copy: Path, tmp_path: Path) -> None:
    plan = plan_package(load_spec(iris_copy), BuildOptions(hermetic=False), environ={})
    write_context(plan, tmp_path, TIFFIN_REQUIREMENTS)
    dockerfile = (tmp_path / "dependencies" / "Dockerfile").read_text()
    assert "--no-index --find-links" not in dockerfile
    assert "COPY wheels/" not in dockerfile


@pytest.fixture
def baklava_sdist(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES / "baklava_functions", project)
    argv = [sys.executable, "setup.py", "-q", "sdist", "--dist-dir", str(tmp_path / "dist")]
    subprocess.run(argv, cwd=project, check=True, capture_output=True)
    return next((tmp_path / "dist").glob("*.tar.gz"))
