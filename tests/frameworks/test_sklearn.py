"""The scikit-learn adapter: estimators and Pipelines saved with joblib, served as they predict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers_frameworks import assert_detection_imports_nothing, check_package
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import tiffin
from tiffin.errors import PackagingError
from tiffin.frameworks import detect_framework, framework_for_file, get_framework

CLASSIFIERS = {
    "logistic": lambda: LogisticRegression(max_iter=500),
    "pipeline": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
}


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def rows(iris) -> list[list[float]]:
    return iris[0][::15].tolist()


@pytest.mark.slow
@pytest.mark.parametrize("probabilities", [False, True], ids=["labels", "probabilities"])
@pytest.mark.parametrize("kind", sorted(CLASSIFIERS))
def test_package_predicts_like_the_model_fresh_and_served(
    kind, probabilities, iris, rows, tmp_path
) -> None:
    model = CLASSIFIERS[kind]().fit(*iris)
    package = tiffin.package(model, tmp_path / "pkg", probabilities=probabilities)
    expected = (
        {"predictions": model.predict(rows), "probabilities": model.predict_proba(rows)}
        if probabilities
        else model.predict(rows)
    )
    assert package.framework == "sklearn"
    check_package(package.path, rows, expected, tmp_path)


@pytest.mark.slow
def test_string_labels_and_regression_outputs(iris, rows, tmp_path) -> None:
    features, target = iris
    names = np.array(["setosa", "versicolor", "virginica"])[target]
    labelled = LogisticRegression(max_iter=500).fit(features, names)
    package = tiffin.package(labelled, tmp_path / "labels")
    check_package(package.path, rows, labelled.predict(rows), tmp_path)
    ridge = Ridge().fit(features, target.astype(float))
    package = tiffin.package(ridge, tmp_path / "ridge")
    check_package(package.path, rows, ridge.predict(rows), tmp_path)


def test_detects_fitted_estimators_with_predict_before_the_fallback(iris) -> None:
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(*iris)
    assert detect_framework(model).name == "sklearn"
    assert detect_framework(LogisticRegression()).name == "sklearn"
    transformers_only = make_pipeline(StandardScaler()).fit(iris[0])
    assert not get_framework("sklearn").detects(transformers_only)
    assert not get_framework("sklearn").detects(LogisticRegression)  # the class itself
    for suffix in (".joblib", ".pkl", ".pickle"):
        assert framework_for_file(Path(f"model{suffix}")).name == "sklearn"
    assert_detection_imports_nothing("sklearn_adapter", "sklearn")


def test_generated_class_is_plain_code(iris, tmp_path) -> None:
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(*iris)
    package = tiffin.package(model, tmp_path / "pkg")
    source = (package.path / "serving.py").read_text()
    compile(source, "serving.py", "exec")
    assert "class PipelineModel:" in source
    assert "def load(self) -> None:" in source and "def predict(self, features):" in source
    assert "def preprocess(self, inputs):" in source and "def postprocess(self, " in source
    assert "\nimport joblib\n" in source
    assert 'require("scikit-learn", "' in source and "read_artifact(" in source
    assert len(source.splitlines()) < 60
    assert package.spec.model == "serving:PipelineModel"


def test_an_unfitted_estimator_is_refused(tmp_path) -> None:
    with pytest.raises(PackagingError, match="LogisticRegression is not fitted") as caught:
        tiffin.package(LogisticRegression(), tmp_path / "pkg")
    assert ".fit(X, y)" in caught.value.hint
    assert not (tmp_path / "pkg").exists()


def test_probabilities_need_predict_proba(iris, tmp_path) -> None:
    ridge = Ridge().fit(iris[0], iris[1])
    with pytest.raises(PackagingError, match="Ridge has no predict_proba"):
        tiffin.package(ridge, tmp_path / "pkg", probabilities=True)
    assert not (tmp_path / "pkg").exists()


def test_unpicklable_parts_are_a_packaging_error(iris, tmp_path) -> None:
    model = make_pipeline(FunctionTransformer(lambda x: x * 2), LogisticRegression(max_iter=500))
    model.fit(*iris)
    with pytest.raises(PackagingError, match="cannot save") as caught:
        tiffin.package(model, tmp_path / "pkg")
    assert "lambda" in caught.value.hint
    assert not (tmp_path / "pkg").exists()


def test_the_package_maps_the_models_arrays_from_the_file(iris, rows, tmp_path) -> None:
    """Read-only memory-mapped arrays: the workers of a server share their pages."""
    from sklearn.neighbors import KNeighborsClassifier

    model = make_pipeline(StandardScaler(), KNeighborsClassifier(algorithm="kd_tree"))
    model.fit(*iris)
    package = tiffin.package(model, tmp_path / "pkg")
    handle = tiffin.load(package.path)
    scaler = handle.instance.model[0]
    assert isinstance(scaler.mean_, np.memmap) and not scaler.mean_.flags.writeable
    np.testing.assert_array_equal(handle.predict(rows), model.predict(rows))
