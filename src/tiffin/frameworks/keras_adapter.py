"""Keras 3: ``keras.Model`` in the ``.keras`` format, served on the backend it was saved with.

- saved with ``model.save("model.keras")`` (architecture, weights, compile
  config); loaded with ``keras.saving.load_model``. Custom layers must be
  registered (``@keras.saving.register_keras_serializable``) and importable.
- the generated class sets ``KERAS_BACKEND`` (with ``os.environ.setdefault``)
  to the backend active when packaging, before importing keras, and the
  package requires that backend (``torch``: ``KERAS_BACKEND=torch``).
- the model's output is returned as it is (a softmax layer's output is the
  probabilities); ``probabilities=True`` is refused.
- ``tiffin package FILE``: ``.keras`` files; without ``KERAS_BACKEND`` set and
  without tensorflow installed, the torch backend is used.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from tiffin.frameworks.base import Framework, SavedArtifact
from tiffin.frameworks.common import import_optional, installed_version
from tiffin.frameworks.registry import register_framework
from tiffin.frameworks.runtime import read_artifact
from tiffin.frameworks.support import imported, is_instance, refuse_probabilities
from tiffin.frameworks.templates import render_model_class

MODEL_FILE = "model.keras"
BACKEND_DISTRIBUTIONS = {
    "torch": "torch",
    "tensorflow": "tensorflow",
    "jax": "jax",
    "openvino": "openvino",
    "numpy": None,
}
NUMPY_FLOATS = ("float16", "float32", "float64")
OUTPUT_AS_IS = "the package returns the model's output as it is (e.g. a softmax layer's)"


@register_framework
class KerasFramework(Framework):
    """Keras 3 models (``keras.Model``: Sequential, functional and subclassed)."""

    name = "keras"
    distribution = "keras"
    file_suffixes = (".keras",)
    priority = 30  # before torch: on the torch backend a Keras model is a torch module

    @classmethod
    def detects(cls, model: Any) -> bool:
        return is_instance(model, "keras", "Model")

    def save(self, model: Any, model_dir: Path, *, probabilities: bool) -> SavedArtifact:
        """Write ``model.keras`` with ``model.save``."""
        refuse_probabilities(probabilities, "a Keras model", OUTPUT_AS_IS)
        model.save(Path(model_dir) / MODEL_FILE)
        backend = current_backend()
        versions = {dist: installed_version(dist) for dist in self._distributions(backend)}
        options = {"backend": backend, "dtype": input_dtype(model), "versions": versions}
        return SavedArtifact(files=(MODEL_FILE,), options=options)

    def requirements(self, model: Any) -> list[str]:
        """keras, the distribution of its backend (e.g. torch), and numpy."""
        return [*self._distributions(current_backend()), "numpy"]

    def model_class_source(self, artifact: SavedArtifact, *, class_name: str) -> str:
        return render_model_class(
            "keras.py.jinja",
            class_name=class_name,
            framework="Keras",
            artifact=artifact.files[0],
            input_description=f"a 2-D {artifact.options['dtype']} array",
            **artifact.options,
        )

    def load_file(self, path: Path) -> Any:
        """The model saved in the ``.keras`` file ``path``."""
        choose_backend()
        keras = import_optional("keras", extra="keras")
        return read_artifact(path, keras.saving.load_model)

    def _distributions(self, backend: str) -> list[str]:
        backend_dist = BACKEND_DISTRIBUTIONS.get(backend, backend)
        return [self.distribution, *([backend_dist] if backend_dist else [])]


def choose_backend() -> None:
    """Before keras is first imported: torch, if no backend is set and tensorflow is absent."""
    unset = imported("keras") is None and "KERAS_BACKEND" not in os.environ
    if unset and importlib.util.find_spec("tensorflow") is None:
        os.environ["KERAS_BACKEND"] = "torch"


def current_backend() -> str:
    """The backend keras runs on in this process (``"torch"``, ``"tensorflow"``...)."""
    import keras

    return keras.backend.backend()


def input_dtype(model: Any) -> str:
    """The numpy name of the model's first input dtype, float32 when unknown."""
    try:
        dtype = str(model.inputs[0].dtype)
    except (AttributeError, IndexError, TypeError, ValueError):
        return "float32"
    return dtype if dtype in NUMPY_FLOATS else "float32"
