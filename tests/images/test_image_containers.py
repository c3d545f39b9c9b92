"""End-to-end: real images built, run, trained, pushed and pulled with podman.

Skipped (with the reason) where podman or the base image is missing; CI provisions both.
One hermetic iris image is built per session and shared; every image and container a
test creates is removed afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest
from imagetests import BASE_IMAGE, RUN_ID, image_tag, podman, wait_for_ping

from servers import free_port
from tiffin.build.builder import build_image
from tiffin.cli.errors import flag
from tiffin.errors import BaseImageUnavailable, BuildError

pytestmark = pytest.mark.container

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]


def tiffin_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "TIFFIN_ENGINE": "podman", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tiffin", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=900,
    )


def test_iris_image_answers_every_protocol(iris_container: str, iris_reference) -> None:
    expected = iris_reference.predict(np.asarray(ROWS)).tolist()
    client = httpx.Client(base_url=iris_container, timeout=30)
    assert client.post("/invocations", json=ROWS).json() == expected
    csv = "\n".join(",".join(map(str, row)) for row in ROWS)
    answer = client.post("/invocations", content=csv, headers={"Content-Type": "text/csv"})
    assert answer.json() == expected
    v1 = client.post("/v1/models/iris:predict", json={"instances": ROWS}).json()
    assert v1["predictions"] == expected
    tensor = {
        "name": "features",
        "shape": [3, 4],
        "datatype": "FP64",
        "data": [x for row in ROWS for x in row],
    }
    v2 = client.post("/v2/models/iris/infer", json={"inputs": [tensor]}).json()
    assert v2["outputs"][0]["data"] == expected


def test_image_metadata(iris_image: str) -> None:
    config = inspect(iris_image)["Config"]
    labels = config["Labels"]
    assert labels["org.opencontainers.image.title"] == "iris"
    assert labels["com.amazonaws.sagemaker.capabilities.accept-bind-to-port"] == "true"
    assert labels["io.tiffin.sources.digest"].startswith("sha256:")
    assert config.get("User", "") in ("", "root")  # starts as root, then drops (TIFFIN_RUN_AS)
    assert "TIFFIN_RUN_AS=tiffin" in config["Env"]
    assert "8080/tcp" in config["ExposedPorts"]
    assert config["Entrypoint"] == ["/opt/venv/bin/python", "-m", "tiffin.entrypoint"]
    assert config["Cmd"] == ["serve"]


def write_iris_channel(directory: Path) -> None:
    from sklearn.datasets import load_iris

    features, labels = load_iris(return_X_y=True)
    directory.mkdir(parents=True)
    rows = np.column_stack([features, labels])
    np.savetxt(directory / "iris.csv", rows, delimiter=",", fmt="%g")


def sagemaker_tree(ml: Path) -> None:
    """/opt/ml as SageMaker mounts it: config, a train channel, model/ and output/ owned by
    root with mode 0755, so that the image's own user cannot write them as they are."""
    (ml / "input" / "config").mkdir(parents=True)
    (ml / "input" / "config" / "hyperparameters.json").write_text('{"C": "0.5"}')
    write_iris_channel(ml / "input" / "data" / "train")
    for name in ("model", "output"):
        (ml / name).mkdir()
    for entry in (ml, *ml.rglob("*")):
        os.chown(entry, 0, 0)
        entry.chmod(0o755 if entry.is_dir() else 0o644)


@pytest.mark.skipif(os.getuid() != 0, reason="root-owned mounts need the tests to run as root")
def test_train_as_sagemaker_runs_it_root_owned_mounts_and_no_user(iris_image, tmp_path) -> None:
    ml = tmp_path / "ml"
    sagemaker_tree(ml)
    done = podman("run", "--rm", "--volume", f"{ml}:/opt/ml", iris_image, "train", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (ml / "model" / "model.joblib").is_file()
    assert (ml / "output" / "success").is_file()
    # the job ran as the image's unprivileged user, not as root
    assert (ml / "model" / "model.joblib").stat().st_uid == 1000
    assert "staying root" not in done.stderr
    import joblib

    model = joblib.load(ml / "model" / "model.joblib")
    assert model.C == 0.5
    assert model.predict(np.asarray(ROWS)).tolist() == [0, 2, 1]


def test_kserve_manifest_args_serve_the_kfserving_seed_request(iris_image, iris_reference) -> None:
    """A KServe manifest passes model-server flags as the container's args."""
    port, grpc_port = free_port(), free_port()
    name = f"tiffin-test-kserve-{RUN_ID}"
    podman(
        "run", "--detach", "--rm", "--name", name, "--publish", f"127.0.0.1:{port}:8081",
        "--publish", f"127.0.0.1:{grpc_port}:8082",
        iris_image, "--max_buffer_size=104857600", "--model_name=sklearnserver-test",
        "--http_port=8081", "--grpc_port=8082", "--enable_docs_url=false",
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_ping(url)
        answer = httpx.post(f"{url}/v2/models/sklearnserver-test/infer",
                            json={"instances": ROWS}, timeout=10)  # fmt: skip
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"predictions": iris_reference.predict(np.asarray(ROWS)).tolist()}
        logs = podman("logs", name).stderr
        assert "ignoring KServe options tiffin has no use for: --enable_docs_url=false" in logs
        grpcclient = pytest.importorskip("tritonclient.grpc")
        client = grpcclient.InferenceServerClient(f"127.0.0.1:{grpc_port}")
        try:
            assert client.is_model_ready("sklearnserver-test")  # gRPC on --grpc_port
        finally:
            client.close()
    finally:
        podman("rm", "--force", name, check=False)


@pytest.mark.skipif(os.getuid() != 0, reason="root-owned mounts need the tests to run as root")
def test_serve_as_sagemaker_runs_it_from_a_root_owned_model_dir(
    iris_image: str, iris_package: Path, tmp_path: Path
) -> None:
    model_dir = tmp_path / "model"
    shutil.copytree(iris_package / "model", model_dir)
    for entry in (model_dir, *model_dir.rglob("*")):
        os.chown(entry, 0, 0)
        entry.chmod(0o755 if entry.is_dir() else 0o600)  # unreadable by anyone but root
    port = free_port()
    name = f"tiffin-test-sm-serve-{RUN_ID}"
    podman(
        "run", "--detach", "--rm", "--name", name, "--publish", f"127.0.0.1:{port}:8080",
        "--volume", f"{model_dir}:/opt/ml/model", iris_image, "serve",
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_ping(url)
        answer = httpx.post(f"{url}/invocations", json=ROWS[:2], timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.json() == [0, 2]
        users = podman("top", name, "user").stdout.split()[1:]
        assert users and set(users) == {"tiffin"}, users
    finally:
        podman("rm", "--force", name, check=False)


def test_tiffin_run_serves_a_model_fetched_from_a_model_uri(iris_image, tmp_path) -> None:
    """`tiffin run IMAGE --model-uri`: fetched on the host, mounted at /opt/ml/model."""
    import tarfile

    import joblib
    from sklearn.datasets import load_iris
    from sklearn.dummy import DummyClassifier

    features, labels = load_iris(return_X_y=True)
    (tmp_path / "weights").mkdir()
    constant = DummyClassifier(strategy="constant", constant=1).fit(features, labels)
    joblib.dump(constant, tmp_path / "weights" / "model.joblib")
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "weights" / "model.joblib", arcname="model.joblib")
    port = free_port()
    environment = {**os.environ, "TIFFIN_ENGINE": "podman",
                   "TIFFIN_CACHE_DIR": str(tmp_path / "cache")}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "tiffin", "run", iris_image, "-p", str(port),
         "--model-uri", archive.as_uri()],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_ping(url)
        answer = httpx.post(f"{url}/invocations", json=ROWS[:2], timeout=10)
        assert answer.json() == [1, 1]  # the fetched model, not the one built into the image
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_tiffin_run_train_with_a_channel_and_a_model_dir(iris_image, tmp_path) -> None:
    write_iris_channel(tmp_path / "train")
    done = tiffin_cli(
        "run",
        iris_image,
        "train",
        "--channel",
        f"train={tmp_path / 'train'}",
        "--hp",
        "C=2",
        "--model-dir",
        str(tmp_path / "model"),
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "model" / "model.joblib").is_file()
    assert "/opt/ml was" in done.stderr


def test_changing_only_the_code_reuses_the_dependencies(iris_image, iris_package, tmp_path) -> None:
    package = tmp_path / "iris"
    shutil.copytree(iris_package, package)
    (package / "iris_model.py").write_text((package / "iris_model.py").read_text() + "# edit\n")
    tag = image_tag("iris-edit")
    try:
        built = build_image(package, tag=tag, engine="podman", base_image=BASE_IMAGE)
        labels = inspect(tag)["Config"]["Labels"]
    finally:
        podman("rmi", "--force", tag, check=False)
    log = built.log_file.read_text()
    assert f"dependencies image {built.dependencies_image} is up to date" in log
    assert "pip install" not in log
    assert labels["io.tiffin.dependencies-image"] == built.dependencies_image
    assert (
        labels["io.tiffin.sources.digest"]
        != inspect(iris_image)["Config"]["Labels"]["io.tiffin.sources.digest"]
    )


def inspect(image: str) -> dict:
    (info,) = json.loads(podman("image", "inspect", image).stdout)
    return info


def test_push_to_a_local_registry_and_pull_back(iris_image: str, registry: str) -> None:
    target = f"{registry}/pushed/iris:{RUN_ID}"
    done = tiffin_cli("push", iris_image, target, "--no-tls-verify")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == target
    catalog = httpx.get(f"http://{registry}/v2/_catalog").json()
    assert "pushed/iris" in catalog["repositories"]
    try:
        podman("pull", "--tls-verify=false", target)
        pulled = podman("image", "inspect", "--format", "{{.Id}}", target).stdout.strip()
        original = podman("image", "inspect", "--format", "{{.Id}}", iris_image).stdout.strip()
        assert pulled == original
    finally:
        podman("rmi", target, check=False)


def test_docker_adapter_builds_through_podmans_socket(
    docker_socket: str, iris_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_socket)
    tag = image_tag("iris-docker")
    try:
        built = build_image(iris_package, tag=tag, engine="docker", base_image=BASE_IMAGE)
        assert built.engine == "docker"
        inspected = subprocess.run(
            ["docker", "image", "inspect", tag], capture_output=True, text=True, check=True
        )
        (info,) = json.loads(inspected.stdout)
        assert info["Config"]["Labels"]["org.opencontainers.image.title"] == "iris"
    finally:
        podman("rmi", "--force", tag, check=False)


def test_buildah_adapter_builds_an_image_that_serves(
    podman_ready: str, iris_package: Path, iris_reference
) -> None:
    if shutil.which("buildah") is None:
        pytest.skip("buildah is not installed (CI provisions it with setup-podman.sh)")
    tag = image_tag("iris-buildah")
    port = free_port()
    name = f"tiffin-buildah-{RUN_ID}"
    try:
        built = build_image(iris_package, tag=tag, engine="buildah", base_image=BASE_IMAGE)
        assert built.engine == "buildah"
        podman("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8080", tag)
        wait_for_ping(f"http://127.0.0.1:{port}")
        rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
        answer = httpx.post(f"http://127.0.0.1:{port}/invocations", json=rows, timeout=30)
        assert answer.json() == iris_reference.predict(np.array(rows)).tolist()
    finally:
        podman("rm", "--force", name, check=False)
        podman("rmi", "--force", tag, check=False)


def test_baklava_example_builds_its_three_images(
    podman_ready: str, baklava_project: Path, tmp_path: Path
) -> None:
    tags = {command: image_tag(f"baklava-{command}") for command in ("train", "predict", "execute")}
    env = {**os.environ, "TIFFIN_BASE_IMAGE": podman_ready, "TIFFIN_ENGINE": "podman"}
    try:
        for command, tag in tags.items():
            done = subprocess.run(
                [sys.executable, "setup.py", command, "-t", tag],
                cwd=baklava_project,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert done.returncode == 0, done.stdout + done.stderr
        check_baklava_images(tags, tmp_path)
    finally:
        for tag in tags.values():
            podman("rmi", "--force", tag, check=False)


def check_baklava_images(tags: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "numbers").mkdir()
    (tmp_path / "numbers" / "n.txt").write_text("3 4 5\n")
    model = tmp_path / "model"
    done = tiffin_cli(
        "run",
        tags["train"],
        "train",
        "--channel",
        f"train={tmp_path / 'numbers'}",
        "--model-dir",
        str(model),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((model / "factor.json").read_text()) == {"factor": 4.0}
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "r.jsonl").write_text("[1, 2]\n3\n")
    done = tiffin_cli(
        "run",
        tags["execute"],
        "batch",
        "--channel",
        f"input={tmp_path / 'records'}",
        "--model-dir",
        str(model),
        "--ml-dir",
        str(tmp_path / "ml"),
    )
    assert done.returncode == 0, done.stderr
    out = (tmp_path / "ml" / "output" / "data" / "r.jsonl.out").read_text().splitlines()
    assert [json.loads(line) for line in out] == [{"scaled": [4.0, 8.0]}, {"scaled": 12.0}]
    port = free_port()
    name = f"tiffin-test-baklava-{RUN_ID}"
    podman(
        "run",
        "--detach",
        "--rm",
        "--name",
        name,
        "--publish",
        f"127.0.0.1:{port}:8080",
        "--volume",
        f"{model}:/opt/ml/model:ro",
        tags["predict"],
    )
    try:
        wait_for_ping(f"http://127.0.0.1:{port}")
        answer = httpx.post(f"http://127.0.0.1:{port}/invocations", json={"values": [1, 2]})
        assert answer.json() == {"scaled": [4.0, 8.0]}
    finally:
        podman("rm", "--force", name, check=False)


def test_a_failing_dockerline_is_named(podman_ready: str, tiny_package: Path) -> None:
    spec = tiny_package / "tiffin.yaml"
    spec.write_text(spec.read_text() + "dockerlines: [RUN true, RUN test -e /nonexistent]\n")
    with pytest.raises(BuildError) as caught:
        build_image(tiny_package, tag=image_tag("broken"), engine="podman", base_image=podman_ready)
    message = caught.value.message
    assert "podman build failed at step" in message
    assert "dockerline 2 of the spec: RUN test -e /nonexistent" in message


def test_an_unpullable_base_image_says_how_to_override(podman_ready, tiny_package) -> None:
    with pytest.raises(BaseImageUnavailable) as caught:
        build_image(
            tiny_package,
            tag=image_tag("nobase"),
            engine="podman",
            base_image="tiffin.invalid/no-such-base:1",
        )
    assert caught.value.image == "tiffin.invalid/no-such-base:1"
    assert "--base-image" in (caught.value.rendered(flag)[1] or "")
