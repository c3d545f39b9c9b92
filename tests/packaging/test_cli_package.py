"""`tiffin package MODEL_FILE TARGET_DIR`: the same package as tiffin.package(), from a file."""

from __future__ import annotations

import json
import pickle
import subprocess

import joblib
import numpy as np
import pytest
import yaml

from servers import TIFFIN


def run(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TIFFIN, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def predict(package, rows) -> list:
    result = run("predict", str(package), "--data", json.dumps(rows))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("suffix", [".joblib", ".pkl"])
def test_a_saved_file_becomes_a_package(classifier, rows, tmp_path, suffix):
    saved = tmp_path / f"iris{suffix}"
    if suffix == ".joblib":
        joblib.dump(classifier, saved)
    else:
        saved.write_bytes(pickle.dumps(classifier))
    result = run("package", str(saved), str(tmp_path / "iris_pkg"))
    assert result.returncode == 0, result.stderr
    assert "wrote 'iris_pkg' (sklearn)" in result.stdout
    assert predict(tmp_path / "iris_pkg", rows) == classifier.predict(rows).tolist()


def test_flags_name_requirements_probabilities_overwrite(classifier, rows, tmp_path):
    saved = tmp_path / "iris.joblib"
    joblib.dump(classifier, saved)
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    args = ("package", str(saved), str(target), "--name", "flowers", "-r", "pandas>=2",
            "--requirement", "requests", "--probabilities")  # fmt: skip
    refused = run(*args)
    assert refused.returncode == 2
    assert "not empty" in refused.stderr and "--overwrite" in refused.stderr
    assert run(*args, "--overwrite").returncode == 0
    assert not (target / "old.txt").exists()
    assert yaml.safe_load((target / "tiffin.yaml").read_text())["name"] == "flowers"
    requirements = (target / "requirements.txt").read_text().splitlines()
    assert "pandas>=2" in requirements and "requests" in requirements
    result = predict(target, rows)
    assert result["predictions"] == classifier.predict(rows).tolist()
    np.testing.assert_allclose(result["probabilities"], classifier.predict_proba(rows))


def test_an_unknown_suffix_lists_the_supported_ones(tmp_path):
    saved = tmp_path / "model.bin"
    saved.write_bytes(b"\x00")
    result = run("package", str(saved), str(tmp_path / "out"))
    assert result.returncode == 2
    assert "error: no framework reads 'model.bin': unknown suffix '.bin'" in result.stderr
    assert ".joblib (sklearn)" in result.stderr and ".pkl (sklearn)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_truncated_file_is_an_error_naming_it(classifier, tmp_path):
    saved = tmp_path / "iris.joblib"
    joblib.dump(classifier, saved)
    saved.write_bytes(saved.read_bytes()[:200])
    result = run("package", str(saved), str(tmp_path / "out"))
    assert result.returncode == 3
    assert f"error: cannot read model file {saved}" in result.stderr
    assert "truncated or corrupted" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_help_lists_the_command_and_its_formats():
    assert "package" in run("--help").stdout
    help_text = run("package", "--help").stdout
    for text in ("MODEL_FILE", "TARGET_DIR", "--name", "--requirement", "--probabilities",
                 "--overwrite", ".joblib", ".onnx", ".keras"):  # fmt: skip
        assert text in help_text
