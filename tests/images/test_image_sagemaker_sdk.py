"""The SageMaker Python SDK (v2) in local mode drives a tiffin image as the platform would.

Local mode runs ``IMAGE train`` and ``IMAGE serve`` with docker-compose (here talking to
podman's Docker-compatible socket), mounts host directories at /opt/ml/* owned by root
and passes no ``--user``. The SDK lives in its own virtualenv, ``.venv-sagemaker``, which
scripts/test.sh creates; docker-compose comes from scripts/provision-containers.sh.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from imagetests import podman

from servers import ROOT

pytestmark = pytest.mark.container

SDK_PYTHON = ROOT / ".venv-sagemaker" / "bin" / "python"
SCRIPT = Path(__file__).with_name("sagemaker_local.py")


def why_no_sdk() -> str | None:
    if not SDK_PYTHON.exists():
        return "no .venv-sagemaker (scripts/test.sh creates it with the SageMaker SDK v2)"
    if shutil.which("docker-compose") is None:
        return "docker-compose is not installed (scripts/provision-containers.sh installs it)"
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 8080)) == 0:
            return "port 8080 is taken, and the SDK's local mode always serves on it"
    return None


@pytest.fixture
def sdk_environment(docker_socket: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    reason = why_no_sdk()
    if reason:
        pytest.skip(reason)
    config = tmp_path / "sagemaker-config.yaml"
    config.write_text(
        "SchemaVersion: '1.0'\nSageMaker: {PythonSDK: {Modules: {TelemetryOptOut: true}}}\n"
    )
    before = set(podman("ps", "--all", "--quiet").stdout.split())
    yield {
        **os.environ,
        "DOCKER_HOST": docker_socket,
        "SAGEMAKER_USER_CONFIG_OVERRIDE": str(config),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    left = set(podman("ps", "--all", "--quiet").stdout.split()) - before
    if left:
        podman("rm", "--force", *left, check=False)
    podman("network", "rm", "--force", "sagemaker-local", check=False)


def test_fit_deploy_predict_and_transform_in_local_mode(
    iris_image: str, sdk_environment: dict[str, str], tmp_path: Path
) -> None:
    from sklearn.datasets import load_iris

    features, labels = load_iris(return_X_y=True)
    (tmp_path / "train").mkdir()
    np.savetxt(tmp_path / "train" / "iris.csv", np.column_stack([features, labels]),
               delimiter=",", fmt="%g")  # fmt: skip
    (tmp_path / "predict").mkdir()
    np.savetxt(tmp_path / "predict" / "rows.csv", features[[0, 100, 60]], delimiter=",", fmt="%g")
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [str(SDK_PYTHON), str(SCRIPT), iris_image, str(work), str(tmp_path / "train"),
         str(tmp_path / "predict")],
        capture_output=True, text=True, env=sdk_environment, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert "not writable" not in done.stdout + done.stderr
    assert "staying root" not in done.stdout + done.stderr
    assert seen["model_data"].endswith("model.tar.gz")
    assert seen["json"] == [0]
    assert seen["csv"] == [0, 2]
    # one output per input file, one line per record (assemble-with Line may leave a blank)
    assert list(seen["transform"]) == ["rows.csv.out"]
    assert seen["transform"]["rows.csv.out"].split() == ["0", "2", "1"]
