"""The xgboost adapter: native JSON/UBJ files, scikit-learn style estimators and Boosters."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from helpers_frameworks import (
    assert_detection_imports_nothing,
    assert_same,
    check_package,
    need,
    render_class,
    run_class,
)

from tiffin.errors import ModelLoadError, PackagingError
from tiffin.frameworks import detect_framework, framework_for_file, get_framework

xgboost = need("xgboost")
datasets = need("sklearn.datasets")


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    return datasets.load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def classifier(iris):
    features, target = iris
    return xgboost.XGBClassifier(n_estimators=8, max_depth=2, random_state=0).fit(features, target)


@pytest.fixture(scope="module")
def booster(iris):
    features, target = iris
    params = {"objective": "reg:squarederror", "max_depth": 2, "seed": 0}
    return xgboost.train(params, xgboost.DMatrix(features, label=target), num_boost_round=5)


@pytest.fixture(scope="module")
def rows(iris) -> list[list[float]]:
    return iris[0][::15].tolist()


def test_detection_comes_before_scikit_learn(classifier, booster) -> None:
    assert detect_framework(classifier).name == "xgboost"
    assert detect_framework(booster).name == "xgboost"
    assert not get_framework("xgboost").detects(np.zeros(3))
    assert_detection_imports_nothing("xgboost_adapter", "xgboost")


def test_classifier_class_predicts_labels_and_probabilities(classifier, rows, tmp_path) -> None:
    adapter = get_framework("xgboost")
    artifact = adapter.save(classifier, tmp_path, probabilities=True)
    assert artifact.files == ("model.json",)
    assert json.loads((tmp_path / "model.json").read_text())["learner"]  # native JSON, no pickle
    source = render_class(adapter, artifact, "xgboost")
    assert "xgboost.XGBClassifier()" in source and "model.load_model(path)" in source
    result = run_class(source, tmp_path, rows)
    expected = {
        "predictions": classifier.predict(rows),
        "probabilities": classifier.predict_proba(rows),
    }
    assert_same(result, expected)
    assert adapter.requirements(classifier) == ["xgboost", "numpy", "scikit-learn"]


def test_booster_saved_as_ubj_predicts_as_its_objective(booster, rows, tmp_path) -> None:
    adapter = get_framework("xgboost")
    artifact = adapter.save(booster, tmp_path, probabilities=False, file_format="ubj")
    assert artifact.files == ("model.ubj",)
    source = render_class(adapter, artifact, "xgboost")
    assert "xgboost.Booster(model_file=path)" in source
    expected = booster.predict(xgboost.DMatrix(np.asarray(rows)))
    assert_same(run_class(source, tmp_path, rows), expected)
    assert adapter.requirements(booster) == ["xgboost", "numpy"]


def test_probabilities_need_a_classifier(booster, iris, tmp_path) -> None:
    regressor = xgboost.XGBRegressor(n_estimators=2).fit(*iris)
    for model in (booster, regressor):
        with pytest.raises(PackagingError, match="no predict_proba"):
            get_framework("xgboost").save(model, tmp_path, probabilities=True)


def test_saved_files_load_back_as_what_was_saved(classifier, booster, rows, tmp_path) -> None:
    classifier.save_model(tmp_path / "classifier.json")
    booster.save_model(tmp_path / "booster.ubj")
    adapter = framework_for_file(tmp_path / "classifier.json")
    assert adapter is not None and adapter.name == "xgboost"
    loaded = adapter.load_file(tmp_path / "classifier.json")
    assert isinstance(loaded, xgboost.XGBClassifier)
    assert_same(loaded.predict(np.asarray(rows)), classifier.predict(rows))
    assert isinstance(adapter.load_file(tmp_path / "booster.ubj"), xgboost.Booster)


def test_a_json_file_that_is_not_a_model_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text('{"threshold": 0.5}')
    with pytest.raises(ModelLoadError, match=r"settings\.json"):
        get_framework("xgboost").load_file(tmp_path / "settings.json")


def test_subclasses_are_saved_as_their_public_xgboost_class(iris, tmp_path) -> None:
    class TunedClassifier(xgboost.XGBClassifier):
        pass

    model = TunedClassifier(n_estimators=2).fit(*iris)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        artifact = get_framework("xgboost").save(model, tmp_path, probabilities=False)
    assert artifact.options["estimator"] == "XGBClassifier"


@pytest.mark.slow
def test_package_predicts_and_serves_like_the_classifier(classifier, rows, tmp_path) -> None:
    import tiffin

    package = tiffin.package(classifier, tmp_path / "pkg", probabilities=True).path
    expected = {
        "predictions": classifier.predict(rows),
        "probabilities": classifier.predict_proba(rows),
    }
    check_package(package, rows, expected, tmp_path)


@pytest.mark.parametrize("suffix", ["json", "ubj"])
def test_a_truncated_model_is_an_error_naming_the_file(classifier, rows, tmp_path, suffix) -> None:
    """xgboost itself may crash on a truncated UBJ file: the package refuses it first."""
    adapter = get_framework("xgboost")
    artifact = adapter.save(classifier, tmp_path, probabilities=False, file_format=suffix)
    path = tmp_path / artifact.files[0]
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 3 // 10])
    with pytest.raises(ModelLoadError, match=rf"cannot read model file .*model\.{suffix}"):
        run_class(render_class(adapter, artifact, "xgboost"), tmp_path, rows)
    with pytest.raises(ModelLoadError, match=rf"model\.{suffix}"):
        adapter.load_file(path)


def test_package_forwards_adapter_options(classifier, rows, tmp_path) -> None:
    import tiffin

    package = tiffin.package(classifier, tmp_path / "ubj", options={"file_format": "ubj"})
    assert (package.path / "model" / "model.ubj").is_file()
    assert not (package.path / "model" / "model.json").exists()
    assert_same(package.predict(rows), classifier.predict(np.asarray(rows)))
    with pytest.raises(PackagingError) as caught:
        tiffin.package(classifier, tmp_path / "bad", options={"compression": "zstd"})
    assert "takes no option 'compression'" in str(caught.value)
    assert "file_format" in caught.value.hint
    assert not (tmp_path / "bad").exists()
