"""LightGBM: Boosters and the scikit-learn style estimators, in LightGBM's own text format.

- saved with ``Booster.save_model`` (``model.booster_`` for ``LGBMClassifier`` and
  friends) as ``model.txt``; no pickle involved. The generated class loads it
  with ``lightgbm.Booster``, so serving needs no scikit-learn, after checking
  the file is whole (LightGBM may crash on a truncated file instead of raising).
- a classifier's ``classes_`` are written into the generated class, which turns
  the Booster's probabilities into labels exactly as ``LGBMClassifier.predict``
  does; ``probabilities=True`` returns ``{"predictions": ..., "probabilities": ...}``.
- ``tiffin package FILE``: a ``.txt`` file written by ``save_model`` (it starts
  with ``tree``; any other ``.txt`` is refused), read as a Booster.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tiffin.errors import ModelLoadError
from tiffin.frameworks.base import Framework, SavedArtifact
from tiffin.frameworks.common import check_probabilities, import_optional, installed_version
from tiffin.frameworks.registry import register_framework
from tiffin.frameworks.runtime import read_artifact
from tiffin.frameworks.support import is_instance
from tiffin.frameworks.templates import render_model_class

MODEL_FILE = "model.txt"


@register_framework
class LightGBMFramework(Framework):
    """LightGBM ``Booster`` and the ``LGBMModel`` subclasses (``LGBMClassifier``...)."""

    name = "lightgbm"
    distribution = "lightgbm"
    file_suffixes = (".txt",)
    priority = 20  # before scikit-learn: LGBMModel is also a scikit-learn estimator

    @classmethod
    def detects(cls, model: Any) -> bool:
        return is_instance(model, "lightgbm", "Booster", "LGBMModel")

    def save(self, model: Any, model_dir: Path, *, probabilities: bool) -> SavedArtifact:
        """Write ``model.txt`` with ``save_model``; remember a classifier's classes."""
        import lightgbm

        check_probabilities(model, probabilities)
        booster = model if isinstance(model, lightgbm.Booster) else model.booster_
        booster.save_model(str(Path(model_dir) / MODEL_FILE))
        classes = getattr(model, "classes_", None)
        options = {
            "estimator": None if booster is model else type(model).__name__,
            "classes": None if classes is None else classes.tolist(),
            "probabilities": probabilities,
            "n_features": booster.num_feature(),
            "versions": {self.distribution: installed_version(self.distribution)},
        }
        return SavedArtifact(files=(MODEL_FILE,), options=options)

    def requirements(self, model: Any) -> list[str]:
        return [self.distribution, "numpy"]

    def model_class_source(self, artifact: SavedArtifact, *, class_name: str) -> str:
        return render_model_class(
            "lightgbm.py.jinja",
            class_name=class_name,
            framework="LightGBM",
            artifact=artifact.files[0],
            input_description="a 2-D float64 array",
            **artifact.options,
        )

    def load_file(self, path: Path) -> Any:
        """The Booster saved in ``path``; refuses a ``.txt`` that is not a whole LightGBM model."""
        lightgbm = import_optional("lightgbm", extra="lightgbm")
        text = read_artifact(path, lambda p: p.read_text())
        if not text.startswith("tree\n"):
            raise ModelLoadError(
                f"{path} is not a LightGBM model: LightGBM's text format starts with 'tree'",
                hint="save the model with booster.save_model('model.txt')",
            )
        if "\nend of trees\n" not in text:  # LightGBM may crash on a truncated file
            raise ModelLoadError(
                f"{path} is truncated: it has no 'end of trees' line", hint="save the model again"
            )
        return read_artifact(path, lambda _: lightgbm.Booster(model_str=text))
