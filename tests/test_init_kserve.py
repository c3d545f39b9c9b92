"""`tiffin init NAME --template kserve`: the package it writes, and its README run as written.

The README's commands are read from the rendered README itself and run here, so a
command that drifts from the CLI fails this test: training, the package's own tests,
`tiffin predict`, `tiffin serve` answered by the README's curl (KServe V1, V2 REST) and
gRPC calls, and (marker ``container``) the image built and run as the README says,
answering the same three ways.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from images.imagetests import (
    BASE_IMAGE,
    RUN_ID,
    image_names,
    podman,
    remove_leftovers,
    wait_for_ping,
)
from servers import TIFFIN, free_port
from test_init_sagemaker import readme_commands, wait_ready
from tiffin.new_package import package_name_for

PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
SPECIES = ["setosa", "virginica"]
ENV = {
    **os.environ,
    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    "NO_PROXY": "*",
}
"""The README's commands find this interpreter's python, pytest and tiffin first."""


def init_flowers(directory: Path) -> Path:
    done = subprocess.run([*TIFFIN, "init", "flowers", "--template", "kserve"], cwd=directory,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "python -m flowers.trainer" in done.stdout
    return directory / "flowers"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One package written by `tiffin init`, never changed."""
    return init_flowers(tmp_path_factory.mktemp("kserve-init"))


@pytest.fixture
def flowers(pristine: Path, tmp_path: Path) -> Path:
    """A copy of the package for a test that trains or serves in it."""
    return Path(shutil.copytree(pristine, tmp_path / "flowers"))


def bash(command: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run one README line as written, with bash."""
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=ENV, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip


def readme_python(project: Path) -> str:
    (block,) = PYTHON_BLOCK.findall((project / "README.md").read_text())
    return block


def grpc_serve_options(port: int) -> list[str] | None:
    """The `tiffin serve` options that put gRPC on ``port``, or None without gRPC serving."""
    done = subprocess.run([*TIFFIN, "serve", "--help"], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "COLUMNS": "200"})  # fmt: skip
    return ["--grpc-port", str(port)] if "--grpc-port" in done.stdout else None


# --- the package ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "package"),
    [("flowers", "flowers"), ("Iris-Classifier.v2", "iris_classifier_v2"),
     ("2024-model", "model_2024_model"), ("class", "model_class"),
     ("sklearn", "sklearn_model"), ("json", "json_model")],
)  # fmt: skip
def test_the_python_package_is_named_after_the_model(name: str, package: str) -> None:
    assert package_name_for(name) == package


def test_writes_a_trainer_an_inferencer_weights_tests_and_a_readme(pristine: Path) -> None:
    for name in ("tiffin.yaml", "requirements.txt", ".tiffinignore", "README.md",
                 "model/model.json", "tests/conftest.py", "tests/test_trainer.py",
                 "tests/test_inferencer.py", "flowers/__init__.py",
                 "flowers/inferencer/__init__.py", "flowers/inferencer/model.py",
                 "flowers/trainer/data/iris.csv"):  # fmt: skip
        assert (pristine / name).is_file(), name
    for module in ("__init__", "__main__", "config", "model", "preprocessor", "postprocessor",
                   "utils"):  # fmt: skip
        assert (pristine / "flowers" / "trainer" / f"{module}.py").is_file(), module
    spec = (pristine / "tiffin.yaml").read_text()
    assert "model: flowers.inferencer.model:Flowers" in spec
    assert "tiffin_extras: [grpc]" in spec
    trainer = (pristine / "flowers" / "trainer" / "model.py").read_text()
    for method in ("build", "train", "evaluate", "predict", "save", "load"):
        assert f"    def {method}(" in trainer, method
    weights = json.loads((pristine / "model" / "model.json").read_text())
    assert weights["classes"] == ["setosa", "versicolor", "virginica"]
    rows = (pristine / "flowers" / "trainer" / "data" / "iris.csv").read_text().splitlines()
    assert len(rows) == 151 and rows[0].endswith(",species")


def test_the_readme_trains_and_runs_the_package_tests_as_written(flowers: Path) -> None:
    train, test = readme_commands(flowers, 1)
    assert train == "python -m flowers.trainer" and test == "pytest tests"
    shipped = json.loads((flowers / "model" / "model.json").read_text())
    trained = bash(train, flowers)
    assert trained.returncode == 0, trained.stderr
    accuracy = re.search(r"accuracy on 30 held-out rows: ([0-9.]+)", trained.stdout)
    assert accuracy and float(accuracy.group(1)) >= 0.9, trained.stdout
    assert f"saved {flowers / 'model' / 'model.json'}" in trained.stdout
    retrained = json.loads((flowers / "model" / "model.json").read_text())
    assert retrained["classes"] == shipped["classes"]
    flat = [x for row in retrained["coef"] for x in row]
    assert flat == pytest.approx([x for row in shipped["coef"] for x in row], abs=1e-3)
    tests = bash(test, flowers)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "5 passed" in tests.stdout


@pytest.mark.slow
def test_the_readme_predicts_and_serves_v1_v2_rest_and_grpc(flowers: Path) -> None:
    predict, serve, *curls = readme_commands(flowers, 2)
    assert serve == "tiffin serve ." and len(curls) == 2
    predicted = bash(predict, flowers, timeout=120)
    assert predicted.returncode == 0, predicted.stderr
    assert json.loads(predicted.stdout) == ["setosa"]

    port, grpc_port = free_port(), free_port()
    grpc = grpc_serve_options(grpc_port)
    log = (flowers / "serve.log").open("wb")
    argv = [*TIFFIN, *shlex.split(serve)[1:], "--port", str(port), *(grpc or [])]
    server = subprocess.Popen(argv, cwd=flowers, stdout=log, stderr=subprocess.STDOUT, env=ENV)
    try:
        wait_ready(f"http://127.0.0.1:{port}", server)
        check_answers(flowers, curls, port, grpc_port if grpc else None)
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def check_answers(project: Path, curls: list[str], port: int, grpc_port: int | None) -> None:
    """The README's curl lines (V1, V2 REST) and its gRPC snippet, against these ports."""
    v1, v2 = (
        bash(curl.replace("localhost:8080", f"127.0.0.1:{port}"), project, timeout=30)
        for curl in curls
    )
    assert json.loads(v1.stdout) == {"predictions": SPECIES}, v1.stdout + v1.stderr
    outputs = json.loads(v2.stdout)["outputs"]
    assert outputs[0]["name"] == "species" and outputs[0]["data"] == SPECIES, v2.stdout
    if grpc_port is None:
        return  # this tiffin does not serve gRPC
    pytest.importorskip("tritonclient.grpc")
    snippet = readme_python(project).replace("localhost:8081", f"127.0.0.1:{grpc_port}")
    done = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True,
                          timeout=60, env=ENV)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[b'setosa' b'virginica']"


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
"""


def test_the_readme_kserve_manifest_and_deploy_run_as_written(pristine, tmp_path) -> None:
    """`tiffin push` needs a registry (tests/images covers it); deploy runs with --dry-run."""
    push, manifest, deploy = readme_commands(pristine, 4)
    assert push == "tiffin push flowers:1 $REGISTRY"
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    env = {**ENV, "REGISTRY": "registry.example.com/ml", "BUCKET": "models",
           "KUBECONFIG": str(tmp_path / "kubeconfig")}  # fmt: skip
    outputs = []
    for command in (manifest, f"{deploy} --dry-run"):
        done = subprocess.run(["bash", "-c", command], cwd=pristine, env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs.append(yaml.safe_load(done.stdout))
    printed, applied = outputs
    assert printed == applied
    assert printed["kind"] == "InferenceService"
    assert printed["metadata"]["name"] == "flowers"
    assert printed["metadata"]["namespace"] == "models"
    (container,) = printed["spec"]["predictor"]["containers"]
    assert container["image"] == "registry.example.com/ml/flowers:1"
    env_vars = {item["name"]: item["value"] for item in container["env"]}
    assert env_vars["STORAGE_URI"] == "s3://models/flowers/1/"
    assert env_vars["MODEL_NAME"] == "flowers"


# --- the image ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def flowers_image(pristine: Path) -> Iterator[str]:
    """The image the README's `tiffin build` line builds (with a tag of this run)."""
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed (bash scripts/provision-containers.sh)")
    if podman("image", "exists", BASE_IMAGE, check=False).returncode != 0:
        pytest.skip(f"the base image {BASE_IMAGE} is missing")
    (build, _) = readme_commands(pristine, 3)
    before = set(image_names())
    tag = f"localhost/tiffin-test-flowers:{RUN_ID}"
    assert build.startswith("tiffin build . --tag flowers:1")
    env = {**ENV, "TIFFIN_ENGINE": "podman", "TIFFIN_BASE_IMAGE": BASE_IMAGE}
    done = subprocess.run(["bash", "-c", build.replace("flowers:1", tag)], cwd=pristine,
                          env=env, capture_output=True, text=True, timeout=1800)  # fmt: skip
    assert done.returncode == 0, done.stderr
    try:
        yield tag
    finally:
        podman("rmi", "--force", tag, check=False)
        remove_leftovers(before)  # its dependencies image and build stages


@pytest.mark.container
def test_the_image_runs_as_the_readme_says_and_answers_v1_v2_and_grpc(
    flowers_image: str, pristine: Path
) -> None:
    (_, run) = readme_commands(pristine, 3)
    port, grpc_port = free_port(), free_port()
    name = f"tiffin-test-flowers-{RUN_ID}"
    command = (
        run.replace("podman run --rm", f"podman run --rm --detach --name {name}")
        .replace("-p 8080:8080", f"-p 127.0.0.1:{port}:8080")
        .replace("-p 8081:8081", f"-p 127.0.0.1:{grpc_port}:8081")
        .replace(" flowers:1", f" {flowers_image}")
    )
    assert command != run and command.endswith(flowers_image)
    started = bash(command, pristine, timeout=120)
    assert started.returncode == 0, started.stderr
    try:
        wait_for_ping(f"http://127.0.0.1:{port}")
        assert httpx.get(f"http://127.0.0.1:{port}/v1/models/flowers", timeout=10).is_success
        grpc = grpc_port if grpc_serve_options(grpc_port) else None
        check_answers(pristine, readme_commands(pristine, 2)[2:], port, grpc)
        logs = podman("logs", name).stderr
        assert "/mnt/models" in podman("inspect", name, "--format", "{{json .Mounts}}").stdout
        assert "Traceback" not in logs
    finally:
        podman("rm", "--force", name, check=False)
