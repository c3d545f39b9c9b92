"""scikit-learn estimators and pipelines, saved with joblib.

The package's model class calls ``predict`` (and ``predict_proba`` with
``probabilities=True``) on a 2-D array built from the request's rows.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path
from typing import Any

from tiffin.errors import PackagingError
from tiffin.frameworks.base import Framework, SavedArtifact
from tiffin.frameworks.common import check_probabilities, import_optional, installed_version
from tiffin.frameworks.registry import register_framework
from tiffin.frameworks.runtime import read_artifact
from tiffin.frameworks.templates import render_model_class

ARTIFACT = "model.joblib"


@register_framework
class SklearnFramework(Framework):
    """Any fitted scikit-learn estimator with ``predict``, including Pipelines."""

    name = "sklearn"
    distribution = "scikit-learn"
    file_suffixes = (".joblib", ".pkl", ".pickle")
    priority = 200
    """After adapters of libraries whose estimators subclass sklearn's (xgboost, lightgbm)."""

    @classmethod
    def detects(cls, model: Any) -> bool:
        base = sys.modules.get("sklearn.base")
        return (
            base is not None
            and isinstance(model, base.BaseEstimator)
            and callable(getattr(model, "predict", None))
        )

    def save(self, model: Any, model_dir: Path, *, probabilities: bool) -> SavedArtifact:
        check_fitted(model)
        check_probabilities(model, probabilities)
        joblib = import_optional("joblib", extra="sklearn")
        try:
            joblib.dump(model, model_dir / ARTIFACT)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise PackagingError(
                f"cannot save {type(model).__name__} with joblib: {type(exc).__name__}: {exc}",
                hint="functions inside the model (e.g. of a FunctionTransformer) must be defined "
                "in a module, not as a lambda or in a notebook; or pass framework='generic'",
            ) from exc
        return SavedArtifact(
            files=(ARTIFACT,),
            options={
                "probabilities": probabilities,
                "model_type": type(model).__name__,
                "sklearn_version": installed_version("scikit-learn"),
            },
        )

    def requirements(self, model: Any) -> list[str]:
        return ["scikit-learn", "joblib", "numpy"]

    def model_class_source(self, artifact: SavedArtifact, *, class_name: str) -> str:
        options = artifact.options
        return render_model_class(
            "sklearn.py.jinja", class_name=class_name, artifact=artifact.files[0], **options
        )

    def load_file(self, path: Path) -> Any:
        """Read a joblib or pickle file; a truncated or corrupted one raises ModelLoadError."""
        joblib = import_optional("joblib", extra="sklearn")
        return read_artifact(path, joblib.load)


def check_fitted(model: Any) -> None:
    """Refuse an estimator that was never fitted: it could only fail at the first request."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except NotFittedError as exc:
        raise PackagingError(
            f"{type(model).__name__} is not fitted: {exc}",
            hint="call .fit(X, y) before tiffin.package(...)",
        ) from None
