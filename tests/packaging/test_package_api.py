"""tiffin.package(): what it writes, and how it refuses what it cannot package."""

from __future__ import annotations

import datetime
import io
import json
import shlex
import sys
import threading
from importlib import metadata
from pathlib import Path

import httpx
import joblib
import numpy as np
import pytest
import yaml
from sklearn.linear_model import LogisticRegression

import tiffin
from tiffin.build.engines.fake import RecordingEngine
from tiffin.errors import PackagingError


def test_writes_spec_class_model_data_requirements_readme_and_metadata(classifier, tmp_path):
    package = tiffin.package(classifier, tmp_path / "iris_pkg")
    root = tmp_path / "iris_pkg"
    assert package.path == root
    for name in ("tiffin.yaml", "serving.py", "model/model.joblib", "requirements.txt",
                 "README.md", ".tiffin/package.json"):  # fmt: skip
        assert (root / name).is_file(), name
    assert (root / "data").is_dir()
    spec = yaml.safe_load((root / "tiffin.yaml").read_text())
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert spec == {
        "name": "iris_pkg",
        "version": "1",
        "description": "LogisticRegression (sklearn), packaged by tiffin.package()",
        "model": "serving:LogisticRegressionModel",
        "python_version": python,
        "requirements_file": "requirements.txt",
        "model_dir": "model",
        "data_dir": "data",
    }
    recorded = json.loads((root / ".tiffin/package.json").read_text())
    assert recorded["framework"] == "sklearn" == package.framework
    assert recorded["model_type"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert recorded["distributions"]["scikit-learn"] == metadata.version("scikit-learn")
    assert recorded["tiffin_version"] == tiffin.__version__
    assert recorded["python_version"].startswith(python)
    created = datetime.datetime.fromisoformat(recorded["created"])
    assert abs(datetime.datetime.now(datetime.timezone.utc) - created).total_seconds() < 60


def test_readme_shows_the_edit_test_serve_build_loop(classifier, tmp_path):
    tiffin.package(classifier, tmp_path / "iris_pkg")
    readme = (tmp_path / "iris_pkg" / "README.md").read_text()
    for text in ("serving.py", "tiffin predict . --data '[[0.0, 0.0, 0.0, 0.0]]'",
                 'tiffin.Package("iris_pkg").predict', "pytest", "tiffin serve .",
                 "/v1/models/iris_pkg:predict", "/v2/models/iris_pkg/infer",
                 "tiffin build . --tag iris_pkg:1"):  # fmt: skip
        assert text in readme, text


def test_package_predicts_from_the_directory_not_the_object(classifier, rows, tmp_path):
    package = tiffin.package(classifier, tmp_path / "pkg")
    expected = classifier.predict(rows)
    assert package.predict(rows).tolist() == expected.tolist()
    handle = package._handle
    assert package.predict(rows[:1]).tolist() == expected[:1].tolist()
    assert package._handle is handle  # loaded once, then reused
    # what it loaded is the file: replace the file, and a reopened Package predicts with it
    other = LogisticRegression().fit([[0.0], [1.0]], [7, 8])
    joblib.dump(other, package.path / "model" / "model.joblib")
    assert tiffin.Package(package.path).predict([[0.0], [1.0]]).tolist() == [7, 8]


def test_a_new_package_object_sees_edits_to_the_model_class(classifier, rows, tmp_path):
    package = tiffin.package(classifier, tmp_path / "pkg")
    assert package.predict(rows).tolist() == classifier.predict(rows).tolist()
    serving = package.path / "serving.py"
    serving.write_text(serving.read_text().replace("return outputs", "return outputs.tolist()[:1]"))
    assert package.predict(rows).tolist() == classifier.predict(rows).tolist()  # kept
    assert tiffin.Package(package.path).predict(rows) == classifier.predict(rows).tolist()[:1]


def test_name_python_version_and_data_files(classifier, tmp_path):
    scaler = tmp_path / "scaler.json"
    scaler.write_text("{}")
    folder = tmp_path / "lookup"
    folder.mkdir()
    (folder / "table.csv").write_text("a,b\n")
    package = tiffin.package(classifier, tmp_path / "out", name="iris-classifier",
                             python_version="3.12", data_files=[scaler, folder])  # fmt: skip
    assert package.spec.name == "iris-classifier"
    assert package.spec.python_version == "3.12"
    assert (package.path / "data" / "scaler.json").read_text() == "{}"
    assert (package.path / "data" / "lookup" / "table.csv").read_text() == "a,b\n"
    renamed = tiffin.package(classifier, tmp_path / "renamed", data_files={"s.json": scaler})
    assert (renamed.path / "data" / "s.json").is_file()


def test_default_name_is_the_directory_name_made_url_safe(classifier, tmp_path):
    package = tiffin.package(classifier, tmp_path / "My Model (v2)")
    assert package.spec.name == "My-Model-v2"


def test_non_empty_target_is_refused_unless_overwrite(classifier, tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(PackagingError, match="not empty") as caught:
        tiffin.package(classifier, target)
    assert "overwrite=True" in caught.value.hint
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    package = tiffin.package(classifier, target, overwrite=True)
    assert not (target / "keep.txt").exists()
    assert package.predict([[5.1, 3.5, 1.4, 0.2]]).tolist() == [0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # no staging left behind


def test_an_empty_target_directory_is_used(classifier, tmp_path):
    (tmp_path / "empty").mkdir()
    assert tiffin.package(classifier, tmp_path / "empty").spec.name == "empty"


class Unpicklable:
    def __init__(self):
        self.lock = threading.Lock()

    def predict(self, rows):
        return rows


def test_a_failure_leaves_the_previous_package_untouched(classifier, tmp_path):
    target = tmp_path / "pkg"
    tiffin.package(classifier, target)
    before = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    with pytest.warns(UserWarning), pytest.raises(PackagingError, match="cannot pickle"):
        tiffin.package(Unpicklable(), target, overwrite=True)  # fails while writing
    with pytest.raises(PackagingError, match="does not exist"):
        tiffin.package(classifier, target, overwrite=True, data_files=[tmp_path / "missing"])
    after = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]  # no staging left behind


def test_overwrite_refuses_the_current_directory(classifier, tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("x")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PackagingError, match="current directory"):
        tiffin.package(classifier, ".", overwrite=True)
    assert (tmp_path / "notes.txt").exists()


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (object(), "cannot package object (from module builtins): it has no predict method"),
        (LogisticRegression, "cannot package LogisticRegression (from module sklearn.linear_"),
        (np.zeros(3), "cannot package ndarray (from module numpy): it has no predict"),
    ],
)
def test_an_unsupported_object_names_what_it_is_and_how_to_wrap_it(obj, expected, tmp_path):
    with pytest.raises(PackagingError) as caught:
        tiffin.package(obj, tmp_path / "pkg")
    assert expected in str(caught.value)
    assert "wrap it in a model class" in caught.value.hint
    assert not (tmp_path / "pkg").exists()


def test_framework_by_name(classifier, tmp_path):
    with pytest.raises(PackagingError, match=r"unknown framework 'nope'; known: .*sklearn"):
        tiffin.package(classifier, tmp_path / "a", framework="nope")
    with pytest.warns(UserWarning, match="cloudpickle"):
        package = tiffin.package(classifier, tmp_path / "b", framework="generic")
    assert package.framework == "generic"
    assert (package.path / "model" / "model.pkl").is_file()


@pytest.mark.parametrize(
    ("option", "message"),
    [({"name": "bad name/"}, "invalid name 'bad name/'"),
     ({"python_version": "three"}, "invalid python_version 'three'"),
     ({"requirements": ["==1.0"]}, "invalid requirement '==1.0'")],
)  # fmt: skip
def test_invalid_options_write_nothing(classifier, tmp_path, option, message):
    with pytest.raises(PackagingError, match=message):
        tiffin.package(classifier, tmp_path / "pkg", **option)
    assert list(tmp_path.iterdir()) == []


def test_docker_build_string_build_and_repr(classifier, tmp_path):
    package = tiffin.package(classifier, tmp_path / "pkg", name="Iris")
    assert package.docker_build_string == f"tiffin build {tmp_path / 'pkg'} --tag iris:1"
    engine = RecordingEngine()
    image = package.build(engine=engine, hermetic=False, stream=io.StringIO())
    assert image.tag == "iris:1"
    assert ("build", "iris:1") in engine.calls
    built = [c for c in engine.contexts if "model/model.joblib" in " ".join(c["files"])]
    assert built, engine.contexts
    assert repr(package) == f"Package({str(tmp_path / 'pkg')!r}, framework='sklearn')"


@pytest.mark.slow
def test_serve_starts_a_local_server_and_stops_it(classifier, rows, tmp_path):
    package = tiffin.package(classifier, tmp_path / "pkg", probabilities=True)
    with package.serve(timeout=5) as server:
        assert server.url.startswith("http://127.0.0.1:")
        answer = httpx.post(f"{server.url}/v1/models/pkg:predict", json={"instances": rows})
        assert answer.status_code == 200, server.log
        assert answer.json()["predictions"] == classifier.predict(rows).tolist()
        np.testing.assert_allclose(answer.json()["probabilities"], classifier.predict_proba(rows))
        assert "running" in repr(server)
    assert server.process.returncode == 0  # drained and exited on SIGTERM
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/ping")
    with pytest.raises(TypeError, match="unknown setting 'wrokers'"):
        package.serve(wrokers=2)


def test_the_scaffold_tutorial_word_for_word(classifier, tmp_path, monkeypatch):
    """``package(model, target_directory=...)``, then paste ``docker_build_string``."""
    from click.testing import CliRunner

    from tiffin.cli.build import build

    monkeypatch.chdir(tmp_path)
    package = tiffin.package(classifier, target_directory="test_rfc")
    assert package.path == tmp_path / "test_rfc"
    assert package.predict([[0, 0, 0, 0]]).tolist() == classifier.predict([[0, 0, 0, 0]]).tolist()
    command = shlex.split(package.docker_build_string)
    assert command[:2] == ["tiffin", "build"]
    assert Path(sys.executable).with_name("tiffin").is_file()  # the installed command
    engine = RecordingEngine()
    monkeypatch.setattr("tiffin.build.builder.select_engine", lambda name: engine)
    done = CliRunner().invoke(build, [*command[2:], "--no-hermetic"])
    assert done.exit_code == 0, done.output
    assert engine.calls[-1] == ("build", "test_rfc:1")
    assert "model/model.joblib" in " ".join(engine.contexts[-1]["files"])


def test_target_dir_and_target_directory_are_one_argument(classifier, tmp_path):
    with pytest.raises(TypeError, match="target_dir or target_directory, not both"):
        tiffin.package(classifier, tmp_path / "a", target_directory=tmp_path / "b")
    with pytest.raises(TypeError, match="missing the target directory"):
        tiffin.package(classifier)
    assert list(tmp_path.iterdir()) == []
