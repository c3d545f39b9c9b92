"""ONNX: an ``onnx.ModelProto`` (or a ``.onnx`` file's path), served with onnxruntime.

- saved as ``model.onnx``; ``save`` also takes the model's serialized bytes.
  The path of an ``.onnx`` file is detected as an ONNX model too.
- the generated class opens an ``onnxruntime.InferenceSession`` and feeds the
  request to the model's first input (a dict feeds inputs by name), cast to the
  dtype the model declares (float32 for ``tensor(float)``).
- every output is returned, by name: a classifier converted by skl2onnx gives
  ``{"label": ..., "probabilities": ...}``, so ``probabilities=True`` is refused.
  Convert classifiers with ``options={"zipmap": False}``: the default ZipMap
  output is a list of dicts, which V2 tensors cannot carry.
- ``tiffin package FILE``: ``.onnx`` files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tiffin.frameworks.base import Framework, SavedArtifact
from tiffin.frameworks.common import import_optional, installed_version
from tiffin.frameworks.registry import register_framework
from tiffin.frameworks.runtime import read_artifact
from tiffin.frameworks.support import installed_distribution, is_instance, refuse_probabilities
from tiffin.frameworks.templates import render_model_class

MODEL_FILE = "model.onnx"
EVERY_OUTPUT = "the package returns every output of the graph by name (e.g. probabilities)"


@register_framework
class ONNXFramework(Framework):
    """``onnx.ModelProto`` objects and paths of ``.onnx`` files."""

    name = "onnx"
    distribution = "onnxruntime"
    file_suffixes = (".onnx",)
    priority = 50

    @classmethod
    def detects(cls, model: Any) -> bool:
        if isinstance(model, str | Path):
            return Path(model).suffix.lower() == ".onnx"
        return is_instance(model, "onnx", "ModelProto")

    def save(self, model: Any, model_dir: Path, *, probabilities: bool) -> SavedArtifact:
        """Write ``model.onnx``; remember the names of the model's inputs and outputs."""
        import onnx

        refuse_probabilities(probabilities, "an ONNX model", EVERY_OUTPUT)
        proto = as_model_proto(model)
        onnx.save_model(proto, str(Path(model_dir) / MODEL_FILE))
        initializers = {tensor.name for tensor in proto.graph.initializer}
        runtime = self._dist()
        options = {
            "input_names": [t.name for t in proto.graph.input if t.name not in initializers],
            "output_names": [tensor.name for tensor in proto.graph.output],
            "versions": {runtime: installed_version(runtime)},
        }
        return SavedArtifact(files=(MODEL_FILE,), options=options)

    def requirements(self, model: Any) -> list[str]:
        """onnxruntime (or the variant installed, e.g. onnxruntime-gpu) and numpy."""
        return [self._dist(), "numpy"]

    def model_class_source(self, artifact: SavedArtifact, *, class_name: str) -> str:
        return render_model_class(
            "onnx.py.jinja",
            class_name=class_name,
            framework="ONNX",
            artifact=artifact.files[0],
            input_description="arrays of the dtype each input declares",
            **artifact.options,
        )

    def load_file(self, path: Path) -> Any:
        """The ``onnx.ModelProto`` in ``path``."""
        return as_model_proto(Path(path))

    def _dist(self) -> str:
        return installed_distribution("onnxruntime", self.distribution)


def as_model_proto(model: Any) -> Any:
    """``model`` as an ``onnx.ModelProto``: a proto, serialized bytes, or an .onnx file path."""
    onnx = import_optional("onnx", extra="onnx")

    if isinstance(model, onnx.ModelProto):
        return model
    if isinstance(model, bytes | bytearray):
        return onnx.load_from_string(bytes(model))
    return read_artifact(Path(model), lambda path: onnx.load(str(path)))
