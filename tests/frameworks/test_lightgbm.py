"""The LightGBM adapter: the native text format, classifiers' classes and raw Boosters."""

from __future__ import annotations

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

lightgbm = need("lightgbm")
datasets = need("sklearn.datasets")

SPECIES = np.array(["setosa", "versicolor", "virginica"])


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    return datasets.load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def classifier(iris):
    """A multi-class classifier whose classes are strings, not 0..n-1."""
    features, target = iris
    model = lightgbm.LGBMClassifier(n_estimators=8, num_leaves=4, random_state=0, verbose=-1)
    return model.fit(features, SPECIES[target])


@pytest.fixture(scope="module")
def rows(iris) -> list[list[float]]:
    return iris[0][::15].tolist()


def test_detection_comes_before_scikit_learn(classifier) -> None:
    assert detect_framework(classifier).name == "lightgbm"
    assert detect_framework(classifier.booster_).name == "lightgbm"
    assert_detection_imports_nothing("lightgbm_adapter", "lightgbm")


def test_classifier_class_gives_labels_and_probabilities(classifier, rows, tmp_path) -> None:
    adapter = get_framework("lightgbm")
    artifact = adapter.save(classifier, tmp_path, probabilities=True)
    assert (tmp_path / "model.txt").read_text().startswith("tree\n")
    source = render_class(adapter, artifact, "lightgbm")
    assert "CLASSES = np.array(['setosa', 'versicolor', 'virginica'])" in source
    expected = {
        "predictions": classifier.predict(rows),
        "probabilities": classifier.predict_proba(rows),
    }
    assert_same(run_class(source, tmp_path, rows), expected)
    assert adapter.requirements(classifier) == ["lightgbm", "numpy"]


def test_binary_classifier_labels_match_predict(iris, tmp_path) -> None:
    features, target = iris
    model = lightgbm.LGBMClassifier(n_estimators=5, num_leaves=4, verbose=-1)
    model.fit(features, target == 1)
    adapter = get_framework("lightgbm")
    source = render_class(adapter, adapter.save(model, tmp_path, probabilities=False), "lightgbm")
    assert_same(run_class(source, tmp_path, features), model.predict(features))


def test_regressor_and_booster_predict_values(iris, rows, tmp_path) -> None:
    features, target = iris
    regressor = lightgbm.LGBMRegressor(n_estimators=5, num_leaves=4, verbose=-1).fit(*iris)
    booster = lightgbm.train(
        {"objective": "regression", "num_leaves": 4, "verbose": -1},
        lightgbm.Dataset(features, label=target),
        num_boost_round=3,
    )
    adapter = get_framework("lightgbm")
    for model, expected in ((regressor, regressor.predict(rows)), (booster, booster.predict(rows))):
        source = render_class(
            adapter, adapter.save(model, tmp_path, probabilities=False), "lightgbm"
        )
        assert_same(run_class(source, tmp_path, rows), expected)
        with pytest.raises(PackagingError, match="no predict_proba"):
            adapter.save(model, tmp_path, probabilities=True)


def test_text_files_load_as_boosters_and_others_are_refused(classifier, rows, tmp_path) -> None:
    classifier.booster_.save_model(str(tmp_path / "model.txt"))
    adapter = framework_for_file(tmp_path / "model.txt")
    assert adapter is not None and adapter.name == "lightgbm"
    booster = adapter.load_file(tmp_path / "model.txt")
    assert_same(booster.predict(np.asarray(rows)), classifier.predict_proba(rows))
    (tmp_path / "notes.txt").write_text("not a model\n")
    with pytest.raises(ModelLoadError, match=r"notes\.txt is not a LightGBM model"):
        adapter.load_file(tmp_path / "notes.txt")


def test_a_truncated_model_is_an_error_naming_the_file(classifier, rows, tmp_path) -> None:
    """LightGBM itself may crash on a truncated file: the package refuses it first."""
    adapter = get_framework("lightgbm")
    source = render_class(
        adapter, adapter.save(classifier, tmp_path, probabilities=False), "lightgbm"
    )
    text = (tmp_path / "model.txt").read_text()
    (tmp_path / "model.txt").write_text(text[: len(text) // 3])
    with pytest.raises(ModelLoadError, match=r"model\.txt is truncated"):
        adapter.load_file(tmp_path / "model.txt")
    with pytest.raises(ModelLoadError, match=r"cannot read model file .*model\.txt.*truncated"):
        run_class(source, tmp_path, rows)


@pytest.mark.slow
def test_package_predicts_and_serves_like_the_classifier(classifier, rows, tmp_path) -> None:
    import tiffin

    package = tiffin.package(classifier, tmp_path / "pkg", probabilities=True).path
    expected = {
        "predictions": classifier.predict(rows),
        "probabilities": classifier.predict_proba(rows),
    }
    check_package(package, rows, expected, tmp_path)
