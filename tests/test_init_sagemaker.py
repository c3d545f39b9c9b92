"""`tiffin init NAME --template sagemaker`: the project it writes, and its README run as written.

The README's commands are read from the rendered README itself and run here, so a
command that drifts from the CLI fails this test: the local ones as they are, the
SageMaker ones by bash against a real moto server (the push, which needs an image and a
registry, is covered by tests/deploy; its ECR repository is created here instead).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
import joblib
import pytest

from aws import ROLE_ARN
from servers import TIFFIN, free_port

README_SECTION = re.compile(r"^## (\d)\. .*?$(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)
BASH_BLOCK = re.compile(r"```bash\n(.*?)```", re.DOTALL)


def readme_commands(project: Path, section: int) -> list[str]:
    """The commands of the README's section ``section``, continuation lines joined."""
    text = (project / "README.md").read_text()
    for number, body in README_SECTION.findall(text):
        if int(number) == section:
            blocks = BASH_BLOCK.findall(body)
            return [
                line.strip() for block in blocks for line in block.replace("\\\n", " ").splitlines()
            ]
    raise AssertionError(f"no section {section} in the README")


def tiffin_argv(command: str) -> list[str]:
    """``tiffin ...`` from the README -> the same command with this interpreter's tiffin."""
    words = shlex.split(command)
    assert words[0] == "tiffin", command
    return [*TIFFIN, *words[1:]]


@pytest.fixture
def churn(tmp_path: Path) -> Path:
    done = subprocess.run(
        [*TIFFIN, "init", "churn", "--template", "sagemaker"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "follow churn/README.md" in done.stdout
    return tmp_path / "churn"


def test_writes_train_serve_sample_data_and_a_readme(churn: Path) -> None:
    for name in ("tiffin.yaml", "train.py", "serve.py", "requirements.txt", ".tiffinignore",
                 "README.md", "tests/test_model.py", "sample_data/train/churn.csv",
                 "sample_data/predict/customers.csv"):  # fmt: skip
        assert (churn / name).is_file(), name
    assert (churn / "model").is_dir()
    assert "def train(ctx)" in (churn / "train.py").read_text()
    assert "class Churn" in (churn / "serve.py").read_text()
    rows = (churn / "sample_data" / "train" / "churn.csv").read_text().splitlines()
    assert len(rows) >= 100 and all(len(row.split(",")) == 5 for row in rows)
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests"], cwd=churn,
                           capture_output=True, text=True, timeout=180)  # fmt: skip
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_an_unknown_template_is_refused(tmp_path: Path) -> None:
    done = subprocess.run([*TIFFIN, "init", "x", "--template", "lambda"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert "'lambda' is not one of 'basic', 'sagemaker', 'kserve'" in done.stderr
    assert not (tmp_path / "x").exists()


def test_serving_before_training_says_to_train_first(churn: Path) -> None:
    done = subprocess.run([*TIFFIN, "predict", ".", "--data", "[[1, 2, 3, 4]]"], cwd=churn,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode != 0
    assert "train first" in done.stderr


def test_the_readme_local_train_and_serve_run_as_written(churn: Path) -> None:
    commands = readme_commands(churn, 1)
    train, predict, serve = (c for c in commands if c.startswith("tiffin"))
    curls = [c for c in commands if c.startswith("curl")]
    assert train.startswith("tiffin train") and serve == "tiffin serve ."
    assert len(curls) == 2

    trained = subprocess.run(tiffin_argv(train), cwd=churn, capture_output=True, text=True,
                             timeout=180)  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    model = joblib.load(churn / "model" / "model.joblib")
    assert model[-1].C == 0.5  # --hp C=0.5 reached train(ctx)

    predicted = subprocess.run(tiffin_argv(predict), cwd=churn, capture_output=True, text=True,
                               timeout=120)  # fmt: skip
    assert predicted.returncode == 0, predicted.stderr
    (probability,) = json.loads(predicted.stdout)
    assert 0.5 < probability <= 1.0

    port = free_port()
    log = (churn / "serve.log").open("wb")
    server = subprocess.Popen([*tiffin_argv(serve), "--port", str(port)], cwd=churn,
                              stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_ready(f"http://127.0.0.1:{port}", server)
        customers = (churn / "sample_data" / "predict" / "customers.csv").read_text()
        outputs = []
        for curl in curls:
            argv = shlex.split(curl.replace("localhost:8080", f"127.0.0.1:{port}"))
            done = subprocess.run(argv, cwd=churn, capture_output=True, text=True, timeout=30,
                                  env={**os.environ, "NO_PROXY": "*"})  # fmt: skip
            assert done.returncode == 0, done.stderr
            outputs.append(done.stdout)
        csv_answer, json_answer = outputs
        assert len(json.loads(csv_answer)) == len(customers.splitlines())
        assert json.loads(json_answer)[0] == pytest.approx(probability)
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "tiffin serve exited"
        try:
            if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("tiffin serve did not become ready")


def test_the_readme_sagemaker_steps_run_as_written_against_moto(churn: Path, aws_env) -> None:
    import boto3

    boto3.client("ecr").create_repository(repositoryName="churn")  # what the push creates
    commands = [c for c in readme_commands(churn, 4) if "sagemaker push" not in c]
    assert (
        sum(c.startswith(("tiffin sagemaker", "MODEL=$(tiffin sagemaker")) for c in commands) == 6
    )
    env = {**os.environ, **aws_env, "BUCKET": "churn-bucket", "TIFFIN_SAGEMAKER_ROLE": ROLE_ARN,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip
    done = subprocess.run(["bash", "-c", "set -euo pipefail\n" + "\n".join(commands)],
                          cwd=churn, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr

    sagemaker = boto3.client("sagemaker")
    (job,) = sagemaker.list_training_jobs()["TrainingJobSummaries"]
    trained = sagemaker.describe_training_job(TrainingJobName=job["TrainingJobName"])
    assert trained["HyperParameters"] == {"C": "0.5"}
    assert trained["RoleArn"] == ROLE_ARN
    channel = trained["InputDataConfig"][0]
    assert channel["ChannelName"] == "train" and channel["ContentType"] == "text/csv"
    assert channel["DataSource"]["S3DataSource"]["S3Uri"] == "s3://churn-bucket/churn/train/"
    batch = sagemaker.describe_transform_job(TransformJobName="churn-batch-1")
    assert batch["TransformInput"]["SplitType"] == "Line"
    assert batch["BatchStrategy"] == "MultiRecord"
    assert batch["TransformOutput"]["S3OutputPath"] == "s3://churn-bucket/churn/scored/"
    assert "endpoint churn is InService" in done.stderr
    assert sagemaker.list_endpoints()["Endpoints"] == []  # the clean-up lines ran
    assert sagemaker.list_models()["Models"] == []
