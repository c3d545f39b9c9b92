"""The `tiffin` command line: init, predict, --help and errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest

import tiffin
from servers import FIXTURES, TIFFIN, start_server


def run(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TIFFIN, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_help_explains_every_command():
    result = run("--help")
    assert result.returncode == 0
    for command in ("init", "serve", "predict"):
        assert command in result.stdout
    serve_help = run("serve", "--help").stdout
    for flag in ("--workers", "--threads", "--worker-class", "--timeout", "--host", "--port",
                 "--log-level", "--access-log", "--debug", "TIFFIN_WORKERS"):  # fmt: skip
        assert flag in serve_help


def test_init_writes_a_package_that_serves_as_is(tmp_path):
    result = run("init", "demo-model", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    package = tmp_path / "demo-model"
    for name in ("tiffin.yaml", "predictor.py", "requirements.txt", "README.md",
                 "tests/test_predictor.py", "model/weights.json"):  # fmt: skip
        assert (package / name).is_file(), name
    # its own test passes
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests"], cwd=package,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert tests.returncode == 0, tests.stdout + tests.stderr
    # and it serves
    server = start_server(package, tmp_path)
    try:
        server.wait_ready()
        response = server.client.post("/v1/models/demo-model:predict",
                                      json={"instances": [[1, 2, 3, 4]]})  # fmt: skip
        assert response.json() == {"predictions": [pytest.approx(11.1)]}
    finally:
        server.stop()


def test_init_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("keep me")
    result = run("init", "taken", cwd=tmp_path)
    assert result.returncode == 2
    assert "not empty" in result.stderr
    assert (tmp_path / "taken" / "file").read_text() == "keep me"


def test_predict_with_data_and_file(iris_package, iris_reference, tmp_path):
    rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
    expected = iris_reference.predict(np.array(rows)).tolist()
    result = run("predict", str(iris_package), "--data", json.dumps(rows))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected
    csv = tmp_path / "rows.csv"
    csv.write_text("5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    result = run("predict", str(iris_package), "--file", str(csv), "--accept", "text/csv")
    assert result.returncode == 0, result.stderr
    assert [int(x) for x in result.stdout.split()] == expected
    npy = tmp_path / "rows.npy"
    buffer = io.BytesIO()
    np.save(buffer, np.array(rows))
    npy.write_bytes(buffer.getvalue())
    assert json.loads(run("predict", str(iris_package), "-f", str(npy)).stdout) == expected


def test_predict_errors_are_one_line_and_a_hint(iris_package):
    result = run("predict", str(iris_package), "--data", "[[1, 2")
    assert result.returncode == 4
    assert result.stderr.startswith("error: malformed JSON")
    assert "Traceback" not in result.stderr
    result = run("predict", str(iris_package))
    assert result.returncode == 4
    assert "exactly one of --data or --file" in result.stderr
    assert "hint:" in result.stderr
    failing = run("predict", str(iris_package), "--data", "[[1, 2, 3]]")
    assert failing.returncode == 4
    assert "error: predict raised ValueError" in failing.stderr


def test_missing_spec_is_a_clear_error(tmp_path):
    result = run("serve", str(tmp_path))
    assert result.returncode == 2
    assert "tiffin init" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_api_load_predicts_like_the_server(iris_package, iris_reference):
    model = tiffin.load(iris_package)
    rows = np.array([[5.9, 3.0, 4.2, 1.5]])
    np.testing.assert_array_equal(model.predict(rows), iris_reference.predict(rows))
    assert model.name == "iris"


def test_python_api_load_of_a_single_file_with_a_missing_import(tmp_path):
    source = tmp_path / "needs_torch.py"
    source.write_text(
        "import not_installed_anywhere\n\nclass M:\n    def predict(self, x):\n        return x\n"
    )
    try:
        tiffin.load(source)
    except tiffin.errors.ModelLoadError as exc:
        assert "No module named 'not_installed_anywhere'" in str(exc)
        assert "requirements" in exc.hint
    else:
        raise AssertionError("expected ModelLoadError")


def test_broken_user_contract_in_python_api_quotes_the_signature():
    try:
        tiffin.load(FIXTURES / "single_file" / "broken_contract.py")
    except tiffin.errors.ContractError as exc:
        assert "def TwoArguments.predict(self, features, extra)" in str(exc)
    else:
        raise AssertionError("expected ContractError")


BROKEN_LOAD = (
    "class Broken:\n"
    "    def load(self):\n"
    "        raise RuntimeError('weights missing')\n"
    "    def predict(self, rows):\n"
    "        return rows\n"
)


def test_a_load_failure_is_one_line_everywhere(tmp_path):
    """`tiffin predict`, `tiffin batch` and `tiffin.load` word a failing load() alike."""
    package = tmp_path / "broken"
    package.mkdir()
    (package / "tiffin.yaml").write_text("name: broken\nmodel: broken_model:Broken\n")
    (package / "broken_model.py").write_text(BROKEN_LOAD)
    (tmp_path / "rows.jsonl").write_text("[1, 2]\n")
    expected = "error: model 'broken' failed to load: RuntimeError: weights missing"

    predicted = run("predict", str(package), "--data", "[[1, 2]]")
    assert predicted.returncode == 3
    assert predicted.stderr.splitlines()[0] == expected
    assert "Traceback" not in predicted.stderr

    batched = run("batch", str(package), "--input", str(tmp_path / "rows.jsonl"),
                  "--output", str(tmp_path / "out"))  # fmt: skip
    assert batched.returncode != 0
    assert expected in batched.stderr
    assert "Traceback" not in batched.stderr

    with pytest.raises(tiffin.errors.ModelLoadError, match="weights missing"):
        tiffin.load(package)


def test_ctrl_c_is_one_line_and_exit_130_not_a_traceback():
    """A command interrupted outside its own Ctrl-C handling (a cloud create call, say)."""
    import click
    from click.testing import CliRunner

    from tiffin.cli.errors import handle_errors

    @click.command()
    @handle_errors
    def creating() -> None:
        raise KeyboardInterrupt

    result = CliRunner().invoke(creating, [])
    assert result.exit_code == 130
    assert "error: interrupted (Ctrl-C)" in result.output
    assert "keeps running" in result.output
    assert "Aborted!" not in result.output and "Traceback" not in result.output
