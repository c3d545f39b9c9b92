"""End-to-end: an image without its model serves the one STORAGE_URI names.

One image of the iris package without its ``model/`` dir is built for the module; its
spec sets ``STORAGE_URI=s3://...``, so the build adds tiffin[s3]. The container reaches
the session's moto server on 127.0.0.1 (``--network host``), fetches the model from S3
when it starts and serves it; a ``/mnt/models`` filled beforehand, as KServe's storage
initializer does, is served as it is with no second download.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from imagetests import RUN_ID, image_tag, podman, wait_for_ping

from servers import free_port

pytestmark = pytest.mark.container

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]
BUCKET = "image-models"
PREFIX = f"s3://{BUCKET}/iris/1/"
SPEC = f"""name: iris
model: iris_model:IrisClassifier
requirements: [scikit-learn, joblib]
environment:
  STORAGE_URI: {PREFIX}
"""


@pytest.fixture(scope="module")
def bare_image(podman_ready: str, iris_package: Path, tmp_path_factory) -> Iterator[tuple]:
    """(tag, build log) of the iris package without model/, built once."""
    from tiffin.build.builder import build_image

    package = tmp_path_factory.mktemp("bare-image") / "iris"
    shutil.copytree(iris_package, package, ignore=shutil.ignore_patterns("model", "__pycache__"))
    (package / "tiffin.yaml").write_text(SPEC)
    tag = image_tag("iris-storage")
    built = build_image(package, tag=tag, engine="podman", base_image=podman_ready)
    yield tag, built.log_file.read_text()
    podman("rmi", "--force", tag, check=False)


def run_serving(image: str, *args: str, env: dict[str, str]) -> tuple[str, str]:
    """Start the image on the host network; (container name, base URL)."""
    port, grpc_port = free_port(), free_port()
    name = f"tiffin-test-storage-{RUN_ID}-{port}"
    settings = {"TIFFIN_PORT": str(port), "GRPC_PORT": str(grpc_port), **env}
    options = [f"--env={key}={value}" for key, value in settings.items()]
    podman("run", "--detach", "--rm", "--name", name, "--network", "host", *options, *args, image)
    return name, f"http://127.0.0.1:{port}"


def predictions(url: str) -> list:
    answer = httpx.post(f"{url}/v1/models/iris:predict", json={"instances": ROWS}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["predictions"]


def test_storage_uri_in_the_spec_adds_the_s3_extra(bare_image: tuple) -> None:
    tag, log = bare_image
    assert f"STORAGE_URI={PREFIX}: the image gets tiffin[s3]" in log
    listing = podman("run", "--rm", tag, "python", "-c", "import s3fs, fsspec; print('ok')")
    assert listing.stdout.strip() == "ok"
    inspected = podman("image", "inspect", tag, "--format", "{{json .Config.ExposedPorts}}")
    assert "8080/tcp" in inspected.stdout and "8081/tcp" in inspected.stdout


def test_the_model_is_fetched_from_s3_when_the_container_starts(
    bare_image: tuple, aws_env: dict[str, str], iris_package: Path, iris_reference
) -> None:
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.upload_file(str(iris_package / "model" / "model.joblib"), BUCKET, "iris/1/model.joblib")
    name, url = run_serving(bare_image[0], env={**aws_env, "STORAGE_URI": PREFIX})
    try:
        wait_for_ping(url)
        assert predictions(url) == iris_reference.predict(np.asarray(ROWS)).tolist()
        logs = podman("logs", name).stderr
        assert logs.count(f"tiffin: fetching {PREFIX} (1 file") == 1, logs
    finally:
        podman("rm", "--force", name, check=False)


def test_mnt_models_filled_by_a_storage_initializer_is_served_without_a_download(
    bare_image: tuple, tmp_path: Path
) -> None:
    """KServe's storage initializer fetched the model into /mnt/models; STORAGE_URI is still
    set (to a bucket nobody can reach here) and tiffin must not fetch it again."""
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.dummy import DummyClassifier

    features, labels = load_iris(return_X_y=True)
    mount = tmp_path / "models"
    mount.mkdir()
    joblib.dump(
        DummyClassifier(strategy="constant", constant=1).fit(features, labels),
        mount / "model.joblib",
    )
    mount.chmod(0o755)
    (mount / "model.joblib").chmod(0o644)
    uri = "s3://no-such-bucket-anywhere/iris/1/"
    name, url = run_serving(
        bare_image[0], "--volume", f"{mount}:/mnt/models:ro", env={"STORAGE_URI": uri}
    )
    try:
        wait_for_ping(url)
        assert predictions(url) == [1, 1, 1]
        logs = podman("logs", name).stderr
        assert f"{uri} is already in /mnt/models (fetched by the cluster)" in logs
        assert "tiffin: fetching" not in logs
    finally:
        podman("rm", "--force", name, check=False)
