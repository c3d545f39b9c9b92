"""The generic adapter: any object with predict (or any callable), pickled with cloudpickle."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from helpers_frameworks import check_package

import tiffin
from tiffin.errors import PackagingError
from tiffin.frameworks import detect_framework

SCORER = """
    import numpy as np


    class Scorer:
        \"\"\"A hand-written linear classifier: what a notebook might hold.\"\"\"

        def __init__(self, weights, bias):
            self.weights = np.asarray(weights, dtype=float)
            self.bias = bias

        def predict_proba(self, rows):
            z = np.asarray(rows, dtype=float) @ self.weights + self.bias
            p = 1 / (1 + np.exp(-z))
            return np.column_stack([1 - p, p])

        def predict(self, rows):
            return (self.predict_proba(rows)[:, 1] > 0.5).astype(int)


    class Doubler:
        def __call__(self, rows):
            return np.asarray(rows, dtype=float) * 2


    class Locked:
        def __init__(self):
            import threading

            self.lock = threading.Lock()

        def predict(self, rows):
            return rows
"""

ROWS = [[0.5, 1.0, -2.0], [3.0, 0.0, 1.0], [-1.0, -1.0, -1.0]]


@pytest.fixture
def scorers(tmp_path, monkeypatch):
    """The module ``local_scorers``, written to a directory the package never sees."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "local_scorers.py").write_text(textwrap.dedent(SCORER))
    monkeypatch.syspath_prepend(str(source))
    module = importlib.import_module("local_scorers")
    yield module
    sys.modules.pop("local_scorers", None)


@pytest.mark.slow
@pytest.mark.parametrize("probabilities", [False, True], ids=["labels", "probabilities"])
def test_package_predicts_like_the_object_fresh_and_served(
    scorers, probabilities, tmp_path
) -> None:
    model = scorers.Scorer([1.0, -0.5, 0.25], 0.1)
    portability = r"cloudpickle: the package only loads under Python 3\.\d+"
    with pytest.warns(UserWarning, match=portability):
        package = tiffin.package(model, tmp_path / "pkg", probabilities=probabilities)
    assert package.framework == "generic"
    expected = (
        {"predictions": model.predict(ROWS), "probabilities": model.predict_proba(ROWS)}
        if probabilities
        else model.predict(ROWS)
    )
    # local_scorers is copied beside serving.py, so a fresh interpreter needs no PYTHONPATH
    assert (package.path / "local_scorers.py").is_file()
    check_package(package.path, ROWS, expected, tmp_path)


def test_a_callable_is_called_on_the_batch(scorers, tmp_path) -> None:
    with pytest.warns(UserWarning, match="cloudpickle"):
        package = tiffin.package(scorers.Doubler(), tmp_path / "pkg")
    assert "return self.model(features)" in (package.path / "serving.py").read_text()
    np.testing.assert_allclose(package.predict(ROWS), np.asarray(ROWS) * 2)


def test_requirements_pin_cloudpickle_and_numpy_only(scorers, tmp_path) -> None:
    from importlib import metadata

    with pytest.warns(UserWarning):
        package = tiffin.package(scorers.Scorer([1.0], 0.0), tmp_path / "pkg")
    lines = (package.path / "requirements.txt").read_text().splitlines()
    pins = [line for line in lines if not line.startswith("#")]
    assert pins == [f"{d}=={metadata.version(d)}" for d in ("cloudpickle", "numpy")]


def test_the_fallback_comes_last(scorers) -> None:
    assert detect_framework(scorers.Scorer([1.0], 0.0)).name == "generic"
    assert detect_framework(scorers.Doubler()).name == "generic"
    assert detect_framework(object()) is None
    assert detect_framework(scorers.Scorer) is None  # a class, not a model


def test_adapters_register_on_the_first_lookup_without_importing_frameworks() -> None:
    code = (
        "import sys\n"
        "from tiffin.frameworks import registered_frameworks\n"
        "names = [cls.name for cls in registered_frameworks()]\n"
        "print(names[-2:], [m for m in ('sklearn', 'cloudpickle', 'torch') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['sklearn', 'generic'] []"


def test_an_unpicklable_object_is_refused_and_nothing_is_written(scorers, tmp_path) -> None:
    with pytest.warns(UserWarning), pytest.raises(PackagingError) as caught:
        tiffin.package(scorers.Locked(), tmp_path / "pkg")
    assert "cannot pickle local_scorers.Locked" in str(caught.value)
    assert "lock" in str(caught.value)
    assert "model class" in caught.value.hint
    assert list(tmp_path.iterdir()) == [tmp_path / "src"]


def test_missing_cloudpickle_names_the_extra(scorers, tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "cloudpickle", None)  # import cloudpickle -> ImportError
    with pytest.raises(PackagingError, match="needs cloudpickle") as caught:
        tiffin.package(scorers.Scorer([1.0], 0.0), tmp_path / "pkg")
    assert caught.value.hint == "pip install 'tiffin[generic]'"
    assert not (tmp_path / "pkg").exists()


def test_loading_under_another_python_warns(scorers, tmp_path, caplog) -> None:
    with pytest.warns(UserWarning):
        package = tiffin.package(scorers.Scorer([1.0], 0.0), tmp_path / "pkg")
    serving = package.path / "serving.py"
    major, minor = sys.version_info[:2]
    serving.write_text(
        serving.read_text()
        .replace(f"!= ({major}, {minor})", "!= (3, 99)")
        .replace(f"under Python {major}.{minor}", "under Python 3.99")
    )
    assert package.predict([[2.0]]).tolist() == [1]
    assert "pickled under Python 3.99; it may not load" in caplog.text
