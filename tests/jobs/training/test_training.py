"""`tiffin train` in the SageMaker training layout: model, SM_* variables, failure, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

import tiffin
from servers import FIXTURES, TIFFIN

TRAINING = FIXTURES / "training"


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    environment = {k: v for k, v in os.environ.items() if k != "SAGEMAKER_BASE_DIR"}
    environment.update(env or {})
    return subprocess.run([*TIFFIN, "train", *args], capture_output=True, text=True, timeout=120,
                          env=environment, cwd=cwd)  # fmt: skip


@pytest.fixture
def iris_channel(tmp_path):
    from sklearn.datasets import load_iris

    features, labels = load_iris(return_X_y=True)
    channel = tmp_path / "channel-train"
    channel.mkdir()
    np.savetxt(channel / "iris.csv", np.column_stack([features, labels]), delimiter=",")
    return channel


def test_class_train_writes_the_model_and_it_serves(iris_package, iris_channel, tmp_path):
    package = tmp_path / "iris"
    shutil.copytree(iris_package, package, ignore=shutil.ignore_patterns("model"))
    base = tmp_path / "base"
    result = run(str(package), "--channel", f"train={iris_channel}", "--hp", "C=0.5",
                 "--base-dir", str(base))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (package / "model" / "model.joblib").is_file()
    assert (base / "output" / "success").exists()
    assert not (base / "output" / "failure").exists()
    metrics = json.loads((base / "output" / "data" / "metrics.json").read_text())
    assert metrics["train_accuracy"] > 0.9
    assert json.loads((base / "input" / "config" / "hyperparameters.json").read_text()) == {
        "C": "0.5"
    }
    assert (base / "input" / "data" / "train" / "iris.csv").exists()
    model = tiffin.load(package)
    assert model.predict([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]).tolist() == [0, 2]


def test_sagemaker_script_runs_unchanged_with_sm_variables(tmp_path):
    channel = tmp_path / "rows"
    channel.mkdir()
    (channel / "a.csv").write_text("1,2\n3,4\n5,6\n")
    model_dir = tmp_path / "out-model"
    base = tmp_path / "base"
    result = run(str(TRAINING / "sm_script"), "-c", f"train={channel}", "--hp", "epochs=3",
                 "--hp", "optimizer=adam", "--model-dir", str(model_dir),
                 "--base-dir", str(base))  # fmt: skip
    assert result.returncode == 0, result.stderr
    trained = json.loads((model_dir / "trained.json").read_text())
    assert trained["epochs"] == 3
    assert trained["optimizer"] == "adam"
    assert trained["rows"] == 3
    assert trained["argv"] == ["--epochs", "3", "--optimizer", "adam"]
    env = trained["env"]
    staged = str(base.resolve() / "model")
    assert env["SM_MODEL_DIR"] == staged
    assert env["SM_CHANNELS"] == '["train"]'
    assert env["SM_CHANNEL_TRAIN"] == str(base.resolve() / "input" / "data" / "train")
    assert env["SM_HPS"] == '{"epochs":3,"optimizer":"adam"}'
    assert env["SM_HP_EPOCHS"] == "3"
    assert env["SM_HP_OPTIMIZER"] == "adam"
    assert env["SM_USER_ARGS"] == '["--epochs","3","--optimizer","adam"]'
    assert env["SM_OUTPUT_DATA_DIR"] == str(base.resolve() / "output" / "data")
    assert env["SM_INPUT_CONFIG_DIR"] == str(base.resolve() / "input" / "config")
    assert env["SM_CURRENT_HOST"] == "algo-1"
    assert env["SM_HOSTS"] == '["algo-1"]'
    assert env["SM_NUM_CPUS"] == str(os.cpu_count())
    assert env["SM_NUM_GPUS"] == "0"
    assert env["SM_USER_ENTRY_POINT"] == "train.py"
    assert env["SM_MODULE_NAME"] == "train"
    assert json.loads(env["SM_TRAINING_ENV"])["hps"] == {"epochs": 3, "optimizer": "adam"}
    assert json.loads(env["SM_INPUT_DATA_CONFIG"])["train"]["TrainingInputMode"] == "File"


def sagemaker_tree(base: Path, hyperparameters: dict[str, str] | str) -> Path:
    """A tree laid out as SageMaker lays it out, with SDK-encoded hyperparameters."""
    config = base / "input" / "config"
    config.mkdir(parents=True)
    text = hyperparameters if isinstance(hyperparameters, str) else json.dumps(hyperparameters)
    (config / "hyperparameters.json").write_text(text)
    (config / "inputdataconfig.json").write_text(json.dumps({"train": {
        "TrainingInputMode": "File", "S3DistributionType": "FullyReplicated",
        "RecordWrapperType": "None"}}))  # fmt: skip
    (config / "resourceconfig.json").write_text(json.dumps({
        "current_host": "algo-2", "hosts": ["algo-2", "algo-1"],
        "network_interface_name": "eth1"}))  # fmt: skip
    (base / "input" / "data" / "train").mkdir(parents=True)
    return base


def test_a_sagemaker_tree_is_used_in_place(tmp_path):
    base = sagemaker_tree(tmp_path / "opt-ml", {
        "lr": "0.01", "layers": "[64, 32]", "name": '"resnet"', "raw": "not json",
        "sagemaker_program": '"train.py"', "sagemaker_mpi_enabled": "true",
    })  # fmt: skip
    result = run(str(TRAINING / "functions"), env={"SAGEMAKER_BASE_DIR": str(base)})
    assert result.returncode == 0, result.stderr
    saved = json.loads((base / "model" / "model.json").read_text())
    assert saved["hps"] == {"lr": 0.01, "layers": [64, 32], "name": "resnet", "raw": "not json"}
    assert (base / "output" / "success").exists()


def test_failing_train_writes_the_reason_and_keeps_the_old_model(tmp_path):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "model.json").write_text("the previous, good model")
    base = tmp_path / "base"
    result = run(str(TRAINING / "functions"), "--model-dir", str(model_dir), "--base-dir",
                 str(base), env={"TRAIN_BEHAVIOUR": "raise"})  # fmt: skip
    assert result.returncode == 1
    assert "error: RuntimeError: learning rate exploded at epoch 3" in result.stderr
    assert "Traceback" not in result.stderr
    failure = (base / "output" / "failure").read_text()
    assert failure.startswith("RuntimeError: learning rate exploded at epoch 3\n")
    assert "Traceback" in failure  # the details are for the operator, after the reason
    assert not (base / "output" / "success").exists()
    assert sorted(p.name for p in model_dir.iterdir()) == ["model.json"]
    assert (model_dir / "model.json").read_text() == "the previous, good model"


def test_failure_file_written_by_user_code_is_kept(tmp_path):
    base = tmp_path / "base"
    (base / "output").mkdir(parents=True)
    script = tmp_path / "pkg"
    script.mkdir()
    (script / "tiffin.yaml").write_text("name: own\ntrain: t:train\n")
    (script / "t.py").write_text(
        "import os\n"
        "def train():\n"
        "    open(os.environ['SM_OUTPUT_DIR'] + '/failure', 'w').write('my own reason')\n"
        "    raise SystemExit(3)\n"
    )
    result = run(str(script), "--base-dir", str(base))
    assert result.returncode == 1
    assert (base / "output" / "failure").read_text() == "my own reason"


def test_missing_channel_fails_naming_it(tmp_path):
    pkg = tmp_path / "pkg"
    shutil.copytree(TRAINING / "functions", pkg)
    (pkg / "tiffin.yaml").write_text(
        "name: ctx\nmodel: jobs:predict\ntrain: jobs:train_with_context\n"
    )
    base = tmp_path / "base"
    result = run(str(pkg), "--base-dir", str(base), env={"TRAIN_BEHAVIOUR": "missing-channel"})
    assert result.returncode == 1
    failure = (base / "output" / "failure").read_text()
    assert failure.startswith("channel 'test' was not provided (channels: none)")
    assert "channel test=DIR" in failure


def test_bad_command_line_inputs_are_clear_errors(tmp_path):
    no_equals = run(
        str(TRAINING / "functions"), "--hp", "epochs", "--base-dir", str(tmp_path / "a")
    )
    assert no_equals.returncode == 1
    assert "--hp 'epochs' is not NAME=VALUE" in no_equals.stderr
    missing = run(str(TRAINING / "functions"), "--channel", f"train={tmp_path / 'nope'}",
                  "--base-dir", str(tmp_path / "b"))  # fmt: skip
    assert missing.returncode == 1
    assert "channel 'train':" in missing.stderr
    assert "does not exist" in missing.stderr
    no_entry = run(str(FIXTURES / "single_file" / "misbehaving.py"), "--base-dir",
                   str(tmp_path / "c"))  # fmt: skip
    assert no_entry.returncode == 1
    assert "no training entry point" in no_entry.stderr
    assert "Traceback" not in no_entry.stderr + missing.stderr + no_equals.stderr


def test_unparseable_hyperparameters_file_fails_the_job(tmp_path):
    base = sagemaker_tree(tmp_path / "opt-ml", '{"lr": 0.01,')
    result = run(str(TRAINING / "functions"), env={"SAGEMAKER_BASE_DIR": str(base)})
    assert result.returncode == 1
    failure = (base / "output" / "failure").read_text()
    assert "hyperparameters.json is not valid JSON" in failure


def test_script_exiting_non_zero_is_a_failure(tmp_path):
    channel = tmp_path / "rows"
    channel.mkdir()
    base = tmp_path / "base"
    result = run(str(TRAINING / "sm_script"), "-c", f"train={channel}", "--hp", "epochs=-1",
                 "--base-dir", str(base))  # fmt: skip
    assert result.returncode == 1
    assert (base / "output" / "failure").read_text().startswith("train.py exited with status 2")


def test_sigterm_runs_the_checkpoint_hook_and_exits(tmp_path):
    pkg = tmp_path / "pkg"
    shutil.copytree(TRAINING / "functions", pkg)
    (pkg / "tiffin.yaml").write_text(
        "name: ctx\nmodel: jobs:predict\ntrain: jobs:train_with_context\n"
    )
    base = tmp_path / "base"
    process = subprocess.Popen([*TIFFIN, "train", str(pkg), "--base-dir", str(base)],
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    started = base / "output" / "data" / "started"
    deadline = time.monotonic() + 60
    while not started.exists():
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 143
    assert json.loads((base / "checkpoints" / "checkpoint.json").read_text()) == {"epoch": 7}
    assert not (base / "output" / "success").exists()


SINGLE_FILE_MODEL = '''\
"""One file: a model class that trains and serves."""

import json
from pathlib import Path


class Scaler:
    def __init__(self, model_dir: Path) -> None:
        self.model_dir = Path(model_dir)

    def load(self) -> None:
        self.factor = json.loads((self.model_dir / "factor.json").read_text())["factor"]

    def predict(self, rows):
        return [[x * self.factor for x in row] for row in rows]

    def train(self, ctx):
        factor = float(ctx.hyperparameters.get("factor", 2))
        (ctx.model_dir / "factor.json").write_text(json.dumps({"factor": factor}))
'''


def test_a_single_file_class_trains_as_it_serves(tmp_path):
    file = tmp_path / "scaler.py"
    file.write_text(SINGLE_FILE_MODEL)
    result = run(str(file), "--hp", "factor=3", "--base-dir", str(tmp_path / "base"))
    assert result.returncode == 0, result.stderr
    assert "no training entry point" not in result.stderr
    assert json.loads((tmp_path / "model" / "factor.json").read_text()) == {"factor": 3}
    assert tiffin.load(file).predict([[1, 2]]) == [[3, 6]]
