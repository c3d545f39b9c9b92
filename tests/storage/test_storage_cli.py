"""`tiffin serve|batch --model-uri` and STORAGE_URI with real servers; `tiffin run --model-uri`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from storagetests import ROWS, snapshot, tiffin

from servers import Server, start_server
from tiffin.build import engines
from tiffin.build.engines.fake import RecordingEngine
from tiffin.cli import run as run_module
from tiffin.cli.main import cli

pytestmark = pytest.mark.slow

REAL, CONSTANT = [0, 2, 1], [2, 2, 2]
A_TAR = "s3://models/iris/a/model.tar.gz"
B_PREFIX = "s3://models/iris/b/"


def serve(package: Path, tmp_path: Path, *args: str, **env: str) -> tuple[list[int], str]:
    """Start `tiffin serve`, predict ROWS, stop; the predictions and the log."""
    server: Server = start_server(package, tmp_path, *args, env=env)
    try:
        server.wait_ready()
        response = server.client.post("/invocations", json=ROWS)
        assert response.status_code == 200, response.text
        return response.json(), server.log
    finally:
        server.stop()


def test_serve_fetches_from_s3_once_before_the_workers_start(s3_models, bare_iris, tmp_path):
    predictions, log = serve(bare_iris, tmp_path, "--model-uri", A_TAR, "--workers", "2")
    assert predictions == REAL
    assert log.count(f"tiffin: fetching {A_TAR} (1 file") == 1
    predictions, log = serve(bare_iris, tmp_path, "--model-uri", A_TAR)
    assert predictions == REAL
    assert f"already holds {A_TAR}" in log and "tiffin: fetching" not in log


def test_storage_uri_is_read_and_the_flag_wins(s3_models, bare_iris, tmp_path: Path) -> None:
    predictions, _ = serve(bare_iris, tmp_path, STORAGE_URI=B_PREFIX)
    assert predictions == CONSTANT
    predictions, _ = serve(bare_iris, tmp_path, "--model-uri", A_TAR, STORAGE_URI=B_PREFIX)
    assert predictions == REAL


def test_a_different_uri_replaces_the_model_in_model_dir(s3_models, bare_iris, tmp_path) -> None:
    model_dir = tmp_path / "model"
    assert serve(bare_iris, tmp_path, "--model-uri", A_TAR, MODEL_DIR=str(model_dir))[0] == REAL
    assert serve(bare_iris, tmp_path, "--model-uri", B_PREFIX, MODEL_DIR=str(model_dir))[0] == (
        CONSTANT
    )
    files = {name for name in snapshot(model_dir) if not name.startswith(".tiffin-")}
    assert files == {"model.joblib", "notes", "notes/README.txt"}


def test_http_file_uri_and_plain_path(models, http_models, bare_iris, tmp_path: Path) -> None:
    assert serve(bare_iris, tmp_path, "--model-uri", f"{http_models.url}/a.tar.gz")[0] == REAL
    assert serve(bare_iris, tmp_path, "--model-uri", models.b_dir.as_uri())[0] == CONSTANT
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    relative = os.path.relpath(models.a_tar, cwd)
    assert relative.startswith("..")
    assert serve(bare_iris, cwd, STORAGE_URI=relative)[0] == REAL


@pytest.mark.parametrize(
    ("uri", "lines"),
    [
        ("s3://models/iris/nope/model.tar.gz",
         ["error: s3://models/iris/nope/model.tar.gz does not exist"]),
        ("s3:///iris/model.tar.gz",
         ["error: 's3:///iris/model.tar.gz' names no bucket",
          "hint: write it as s3://BUCKET/KEY"]),
    ],
)  # fmt: skip
def test_serve_fails_with_exit_8_and_a_readable_line(s3_models, bare_iris, tmp_path, uri, lines):
    done = tiffin("serve", str(bare_iris), "--model-uri", uri, env={}, cwd=tmp_path)
    assert done.returncode == 8
    assert done.stderr.splitlines() == lines


def test_batch_scores_with_a_fetched_model(s3_models, bare_iris, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "rows.csv").write_text("\n".join(",".join(map(str, r)) for r in ROWS))
    done = tiffin("batch", str(bare_iris), "--model-uri", A_TAR, "-i", "in", "-o", "out",
                  "--json", env={}, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["written"] == 3
    lines = (tmp_path / "out" / "rows.csv.out").read_text().splitlines()
    assert [json.loads(line) for line in lines] == REAL
    assert f"tiffin: fetching {A_TAR}" in done.stderr


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """`tiffin run` with a recording engine: the engine command lines it would run."""
    fake = RecordingEngine()
    monkeypatch.setattr(engines, "select_engine", lambda name=None, **_: fake)
    calls: list[list[str]] = []
    monkeypatch.setattr(run_module.subprocess, "call", lambda argv: calls.append(argv) or 0)
    return calls


def test_run_mounts_the_fetched_model_read_only(models, recorded, storage_env, tmp_path) -> None:
    result = CliRunner().invoke(cli, ["run", "iris:1", "--model-uri", str(models.a_tar)])
    assert result.exit_code == 0, result.output
    [fetched] = (storage_env / "models").iterdir()
    assert (fetched / "model.joblib").is_file()
    assert f"{fetched}:/opt/ml/model:ro" in recorded[-1]
    args = ["run", "iris:1", "batch", "--model-uri", models.b_dir.as_uri(),
            "--model-dir", str(tmp_path / "m"), "--ml-dir", str(tmp_path / "ml")]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m" / "notes" / "README.txt").is_file()
    assert f"{tmp_path / 'm'}:/opt/ml/model:ro" in recorded[-1]


def test_run_train_refuses_a_model_uri(models, recorded) -> None:
    result = CliRunner().invoke(cli, ["run", "iris:1", "train", "--model-uri", str(models.a_tar)])
    assert result.exit_code == 2 and "--model-uri" in result.output and not recorded
