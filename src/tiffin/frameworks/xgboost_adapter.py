"""xgboost: Boosters and the scikit-learn style estimators, in xgboost's own file format.

- saved with ``save_model`` as JSON (``model.json``) or, with ``file_format="ubj"``,
  Universal Binary JSON (``model.ubj``); no pickle involved.
- scikit-learn style estimators (``XGBClassifier``, ``XGBRegressor``, ...) are
  re-created at load as the same class, so ``predict`` keeps its meaning; a raw
  ``Booster`` predicts with ``inplace_predict`` (its objective's output).
- ``probabilities=True`` on a classifier: ``predict`` returns
  ``{"predictions": ..., "probabilities": ...}`` (two outputs on the V2 protocol).
- ``tiffin package FILE``: ``.json`` and ``.ubj`` files written by ``save_model``;
  a file saved from a scikit-learn style classifier or regressor comes back as one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tiffin.frameworks.base import Framework, SavedArtifact
from tiffin.frameworks.common import check_probabilities, import_optional, installed_version
from tiffin.frameworks.registry import register_framework
from tiffin.frameworks.runtime import read_artifact
from tiffin.frameworks.support import installed_distribution, is_instance
from tiffin.frameworks.templates import render_model_class

FILE_FORMATS = ("json", "ubj")
ESTIMATOR_TYPES = {"classifier": "XGBClassifier", "regressor": "XGBRegressor"}


@register_framework
class XGBoostFramework(Framework):
    """xgboost ``Booster`` and ``XGBModel`` subclasses (``XGBClassifier``, ``XGBRegressor``...)."""

    name = "xgboost"
    distribution = "xgboost"
    file_suffixes = (".json", ".ubj")
    priority = 20  # before scikit-learn: XGBModel is also a scikit-learn estimator

    @classmethod
    def detects(cls, model: Any) -> bool:
        return is_instance(model, "xgboost", "Booster", "XGBModel")

    def save(
        self, model: Any, model_dir: Path, *, probabilities: bool, file_format: str = "json"
    ) -> SavedArtifact:
        """Write ``model.json`` (or ``model.ubj``) with ``save_model``."""
        if file_format not in FILE_FORMATS:
            raise ValueError(f"file_format must be one of {FILE_FORMATS}, not {file_format!r}")
        check_probabilities(model, probabilities)
        filename = f"model.{file_format}"
        model.save_model(Path(model_dir) / filename)
        options = {
            "estimator": sklearn_class_name(model),
            "probabilities": probabilities,
            "n_features": _n_features(model),
            "versions": {self._dist(): installed_version(self._dist())},
        }
        return SavedArtifact(files=(filename,), options=options)

    def requirements(self, model: Any) -> list[str]:
        """xgboost and numpy; scikit-learn too for the scikit-learn style estimators."""
        extra = ["scikit-learn"] if sklearn_class_name(model) else []
        return [self._dist(), "numpy", *extra]

    def model_class_source(self, artifact: SavedArtifact, *, class_name: str) -> str:
        return render_model_class(
            "xgboost.py.jinja",
            class_name=class_name,
            framework="xgboost",
            artifact=artifact.files[0],
            input_description="a 2-D float32 array",
            **artifact.options,
        )

    def load_file(self, path: Path) -> Any:
        """A Booster, or the scikit-learn style classifier/regressor it was saved from."""
        xgboost = import_optional("xgboost", extra="xgboost")
        read_artifact(path, check_whole)
        booster = read_artifact(path, lambda p: xgboost.Booster(model_file=p))
        saved_from = json.loads(booster.attr("scikit_learn") or "{}").get("_estimator_type")
        estimator = ESTIMATOR_TYPES.get(saved_from)
        if estimator is None:
            return booster
        model = getattr(xgboost, estimator)()
        model.load_model(path)
        return model

    def _dist(self) -> str:
        return installed_distribution("xgboost", self.distribution)


def sklearn_class_name(model: Any) -> str | None:
    """The public xgboost class to re-create ``model`` as (``"XGBClassifier"``...), or None.

    A subclass defined elsewhere is saved as its nearest public xgboost base class.
    """
    import xgboost

    if isinstance(model, xgboost.Booster):
        return None
    for cls in type(model).__mro__:
        if cls.__module__.startswith("xgboost") and getattr(xgboost, cls.__name__, None) is cls:
            return cls.__name__
    return None


def check_whole(path: Path) -> None:
    """Refuse a truncated file (xgboost may crash on one): a model file ends with ``}``."""
    with open(path, "rb") as file:
        file.seek(max(file.seek(0, os.SEEK_END) - 16, 0))
        if not file.read().rstrip().endswith(b"}"):
            raise ValueError("the file is truncated: an xgboost model file ends with '}'")


def _n_features(model: Any) -> int | None:
    """How many features the model expects, when it knows."""
    count = getattr(model, "n_features_in_", None)
    if count is None and hasattr(model, "num_features"):
        count = model.num_features()
    return int(count) if count else None
