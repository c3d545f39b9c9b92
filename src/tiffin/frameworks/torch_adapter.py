"""PyTorch: ``torch.nn.Module`` as TorchScript, or as its state_dict plus its class.

- a module is compiled with ``torch.jit.script`` and saved as ``model.pt``: code
  and weights together, loaded by ``torch.jit.load`` with no Python class needed.
  A module you scripted or traced yourself (``torch.jit.trace(net, example)``)
  is saved as it is: trace a module that cannot be scripted.
- a module that cannot be scripted (or ``file_format="state_dict"``) is saved as
  ``state_dict.pt`` (``torch.save(module.state_dict())``) and the generated
  class imports the module's class by its import path, so that class must be
  importable where the package is served: define it in a module of your own
  (not in ``__main__`` or a notebook) and install it next to the package. The
  class is created without arguments; edit ``read_model`` if it needs some.
- the output tensor is returned as a numpy array; ``probabilities=True`` is refused
  (a module's output already is its probabilities, if it computes them).
- ``tiffin package FILE``: ``.pt`` / ``.pth`` files holding TorchScript.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from pathlib import Path
from typing import Any

from tiffin.errors import ModelLoadError, PackagingError
from tiffin.frameworks.base import Framework, SavedArtifact
from tiffin.frameworks.common import import_optional, installed_version, user_stacklevel
from tiffin.frameworks.registry import register_framework
from tiffin.frameworks.support import is_instance, refuse_probabilities
from tiffin.frameworks.templates import render_model_class

FILE_FORMATS = (None, "torchscript", "state_dict")
TORCHSCRIPT_FILE = "model.pt"
STATE_DICT_FILE = "state_dict.pt"
NUMPY_FLOATS = ("float16", "float32", "float64")
OUTPUT_AS_IS = (
    "the package returns the module's output as it is (its probabilities, if it has them)"
)


@register_framework
class TorchFramework(Framework):
    """``torch.nn.Module`` and TorchScript modules (but not Keras models on the torch backend)."""

    name = "torch"
    distribution = "torch"
    file_suffixes = (".pt", ".pth")
    priority = 40  # after keras, whose models are torch modules on the torch backend

    @classmethod
    def detects(cls, model: Any) -> bool:
        from_keras = type(model).__module__.split(".")[0] == "keras"
        return is_instance(model, "torch", "nn.Module") and not from_keras

    def save(
        self, model: Any, model_dir: Path, *, probabilities: bool, file_format: str | None = None
    ) -> SavedArtifact:
        """TorchScript when the module can be scripted (or already is), else its state_dict."""
        if file_format not in FILE_FORMATS:
            raise ValueError(f"file_format must be one of {FILE_FORMATS}, not {file_format!r}")
        refuse_probabilities(probabilities, "a PyTorch module", OUTPUT_AS_IS)
        options = {
            "dtype": parameter_dtype(model),
            "versions": {self.distribution: installed_version(self.distribution)},
        }
        scripted, failure = None, "file_format='state_dict' was asked for"
        if file_format != "state_dict":
            scripted, failure = script(model)
        if scripted is not None:
            save_torchscript(scripted, Path(model_dir) / TORCHSCRIPT_FILE)
            return SavedArtifact((TORCHSCRIPT_FILE,), {**options, "file_format": "torchscript"})
        if file_format == "torchscript":
            name = type(model).__name__
            raise PackagingError(f"cannot script {name} to TorchScript: {failure}", hint=TRACE_HINT)
        return save_state_dict(model, Path(model_dir), failure, options)

    def requirements(self, model: Any) -> list[str]:
        return [self.distribution, "numpy"]

    def model_class_source(self, artifact: SavedArtifact, *, class_name: str) -> str:
        return render_model_class(
            "torch.py.jinja",
            class_name=class_name,
            framework="PyTorch",
            artifact=artifact.files[0],
            input_description=f"a 2-D {artifact.options['dtype']} tensor",
            **artifact.options,
        )

    def load_file(self, path: Path) -> Any:
        """The TorchScript module in ``path``; a pickled module or state_dict is refused."""
        torch = import_optional("torch", extra="torch")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                return torch.jit.load(str(path), map_location="cpu")
        except RuntimeError as exc:
            raise ModelLoadError(
                f"{path} is not a TorchScript file ({exc!s:.200})",
                hint="a module saved with torch.save or a state_dict cannot be packaged from "
                "the shell: load the module in Python and call tiffin.package(module, ...)",
            ) from exc


TRACE_HINT = (
    "trace it with an example input and package the traced module: "
    "tiffin.package(torch.jit.trace(model, example_input), ...)"
)


def script(model: Any) -> tuple[Any, str]:
    """``(TorchScript module, "")``, or ``(None, why scripting failed)``."""
    import torch

    if isinstance(model, torch.jit.ScriptModule):
        return model, ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return torch.jit.script(model), ""
    except Exception as exc:
        first_line = (str(exc).strip().splitlines() or [""])[0]
        return None, f"{type(exc).__name__}: {first_line}"


def save_torchscript(scripted: Any, path: Path) -> None:
    """``torch.jit.save`` without its deprecation notice: TorchScript is what we serve."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(scripted, str(path))


def save_state_dict(
    model: Any, model_dir: Path, failure: str, options: dict[str, Any]
) -> SavedArtifact:
    """Write ``state_dict.pt`` and record the class to re-create; warn why, and what it needs."""
    import torch

    module, qualname = importable_class(type(model), failure)
    torch.save(model.state_dict(), model_dir / STATE_DICT_FILE)
    needs = f"{module}.{qualname} importable"
    if not _constructs_without_arguments(type(model)):
        needs += ", and read_model() in the generated class to pass its constructor arguments"
    warnings.warn(
        f"{qualname} was saved as a state_dict, not TorchScript ({failure}): "
        f"serving the package needs {needs}",
        UserWarning,
        stacklevel=user_stacklevel(),
    )
    return SavedArtifact(
        (STATE_DICT_FILE,),
        {**options, "file_format": "state_dict", "module": module, "qualname": qualname},
    )


def importable_class(cls: type, failure: str) -> tuple[str, str]:
    """``(module, qualname)`` of ``cls`` if another interpreter can import it, else raise."""
    module, qualname = cls.__module__, cls.__qualname__
    try:
        found: Any = importlib.import_module(module) if module != "__main__" else None
        for part in qualname.split("."):
            found = getattr(found, part, None)
    except ImportError:
        found = None
    if found is not cls:
        raise PackagingError(
            f"cannot package {qualname}: it cannot be compiled to TorchScript ({failure}), "
            f"and its class cannot be imported as {module}.{qualname} when serving",
            hint=f"move the class into a module of its own, or {TRACE_HINT}",
        )
    return module, qualname


def parameter_dtype(model: Any) -> str:
    """The numpy name of the module's first floating-point parameter's dtype, else float32."""
    for parameter in model.parameters():
        if parameter.dtype.is_floating_point:
            name = str(parameter.dtype).removeprefix("torch.")
            return name if name in NUMPY_FLOATS else "float32"
    return "float32"


def _constructs_without_arguments(cls: type) -> bool:
    try:
        inspect.signature(cls).bind()
    except (TypeError, ValueError):
        return False
    return True
