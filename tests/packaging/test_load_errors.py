"""Bad input at load time: a missing framework, another version, a damaged artifact."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata

import pytest

import tiffin
from servers import TIFFIN
from tiffin.errors import ModelLoadError


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def fresh_predict(package, rows) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TIFFIN, "predict", str(package), "--data", json.dumps(rows)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_a_truncated_artifact_is_an_error_naming_the_file(classifier, tmp_path):
    package = tiffin.package(classifier, tmp_path / "pkg")
    artifact = package.path / "model" / "model.joblib"
    artifact.write_bytes(artifact.read_bytes()[:100])
    message = re.escape(f"cannot read model file {artifact}")
    with pytest.raises(ModelLoadError, match=message) as caught:
        package.predict([[1, 2, 3, 4]])
    assert "truncated or corrupted" in caught.value.hint
    result = fresh_predict(package.path, [[1, 2, 3, 4]])
    assert result.returncode == 3
    assert f"cannot read model file {artifact}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_artifact_is_an_error_naming_the_file(classifier, tmp_path):
    package = tiffin.package(classifier, tmp_path / "pkg")
    (package.path / "model" / "model.joblib").unlink()
    with pytest.raises(ModelLoadError, match=r"model\.joblib does not exist"):
        package.predict([[1, 2, 3, 4]])


def test_a_framework_that_is_not_installed_names_the_requirement(classifier, tmp_path):
    package = tiffin.package(classifier, tmp_path / "pkg")
    version = metadata.version("scikit-learn")
    # as if the environment lacked the framework: the class asks for a distribution not here
    edit(package.path / "serving.py", f'require("scikit-learn", "{version}")',
         'require("scikit-learn-not-here", "1.9.1")')  # fmt: skip
    result = fresh_predict(package.path, [[1, 2, 3, 4]])
    assert result.returncode == 3
    assert "saved with scikit-learn-not-here==1.9.1, which is not installed" in result.stderr
    assert "hint: pip install scikit-learn-not-here==1.9.1" in result.stderr


def test_another_framework_version_warns_naming_both(classifier, rows, tmp_path):
    package = tiffin.package(classifier, tmp_path / "pkg")
    version = metadata.version("scikit-learn")
    edit(package.path / "serving.py", f'require("scikit-learn", "{version}")',
         'require("scikit-learn", "0.24.2")')  # fmt: skip
    code = (
        "import json, sys, tiffin\n"
        "print(json.dumps(tiffin.load(sys.argv[1]).predict(json.loads(sys.argv[2])).tolist()))"
    )
    result = subprocess.run([sys.executable, "-c", code, str(package.path), json.dumps(rows)],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == classifier.predict(rows).tolist()
    assert (
        f"this model was saved with scikit-learn 0.24.2 but scikit-learn {version} is installed"
        in result.stderr
    )
