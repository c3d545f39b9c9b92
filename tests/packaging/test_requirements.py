"""Requirements are inferred from the model object and pinned to the installed versions."""

from __future__ import annotations

import importlib
import sys
import textwrap
from importlib import metadata

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import tiffin
from tiffin.frameworks import get_framework
from tiffin.packaging.requirements import infer_requirements

UNRELATED = ("httpx", "pandas", "starlette", "tritonclient", "cloudpickle", "pytest", "tiffin")


def pins(package) -> list[str]:
    text = (package.path / "requirements.txt").read_text()
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def pinned(*distributions: str) -> list[str]:
    return sorted(f"{name}=={metadata.version(name)}" for name in distributions)


def test_a_pipeline_pins_exactly_what_its_steps_come_from(iris_data, tmp_path):
    model = make_pipeline(FunctionTransformer(scipy.stats.zscore, kw_args={"axis": 1}),
                          LogisticRegression(max_iter=500)).fit(*iris_data)  # fmt: skip
    package = tiffin.package(model, tmp_path / "pkg")
    assert pins(package) == pinned("joblib", "numpy", "scikit-learn", "scipy")
    assert package.metadata["distributions"] == {
        name: metadata.version(name) for name in ("joblib", "numpy", "scikit-learn", "scipy")
    }


def test_nothing_unrelated_is_pinned(classifier, tmp_path):
    for name in UNRELATED[:-1]:
        metadata.version(name)  # installed here, so leaving them out means something
    lines = pins(tiffin.package(classifier, tmp_path / "pkg"))
    assert lines == pinned("joblib", "numpy", "scikit-learn")
    assert not any(line.split("==")[0] in UNRELATED for line in lines)


def test_a_pipeline_holding_an_xgboost_estimator_pins_both(iris_data, rows, tmp_path):
    xgboost = pytest.importorskip("xgboost", reason="xgboost is not installed")
    model = make_pipeline(StandardScaler(), xgboost.XGBClassifier(n_estimators=4, max_depth=2))
    model.fit(*iris_data)
    package = tiffin.package(model, tmp_path / "pkg")
    assert package.framework == "sklearn"  # the Pipeline is saved with joblib, as a whole
    lines = pins(package)
    for line in pinned("xgboost", "scikit-learn", "numpy", "joblib"):
        assert line in lines
    assert not any(line.split("==")[0] in UNRELATED for line in lines)
    assert package.predict(rows).tolist() == model.predict(rows).tolist()


def test_a_dataframe_held_by_the_model_pins_pandas(tmp_path, monkeypatch):
    source = tmp_path / "src"
    source.mkdir()
    (source / "lookup_model.py").write_text(
        textwrap.dedent("""
        class Lookup:
            def __init__(self, table):
                self.table = table

            def predict(self, rows):
                return [self.table["value"].iloc[int(row[0])] for row in rows]
    """)
    )
    monkeypatch.syspath_prepend(str(source))
    module = importlib.import_module("lookup_model")
    try:
        model = module.Lookup(pd.DataFrame({"value": [10.0, 20.0]}))
        adapter = get_framework("generic")
        found = infer_requirements(model, adapter)
    finally:
        sys.modules.pop("lookup_model", None)
    assert found.lines == pinned("cloudpickle", "numpy", "pandas")
    assert found.local_modules == {"lookup_model": source / "lookup_model.py"}


def test_user_requirements_are_added_and_replace_a_pin(classifier, tmp_path):
    extra = ["requests>=2", "numpy==1.26.4", "Scikit_Learn"]
    package = tiffin.package(classifier, tmp_path / "pkg", requirements=extra)
    assert pins(package) == [pinned("joblib")[0], "numpy==1.26.4", "requests>=2", "Scikit_Learn"]


def test_object_arrays_and_nested_containers_are_walked(iris_data):
    inner = LogisticRegression(max_iter=500).fit(*iris_data)
    holder = np.empty(1, dtype=object)
    holder[0] = {"models": [(inner,)]}
    from tiffin.packaging.walk import model_modules

    assert "sklearn.linear_model._logistic" in model_modules(holder)
