"""Import the user's code named by a spec and build a :class:`ModelHandle` for it."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import os
import sys
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

from tiffin.errors import ContractError, ModelLoadError, TiffinError
from tiffin.model.contract import INJECTABLE_ARGS, check_model_class, constructor_arguments
from tiffin.model.functions import ExecuteFunction, FunctionModel
from tiffin.model.handle import ModelHandle, load_failed
from tiffin.model.info import model_info
from tiffin.spec import LoadedSpec, load_spec, model_name

SAGEMAKER_MODEL_DIR = Path("/opt/ml/model")


def load(
    path: str | os.PathLike[str] = ".", *, environ: Mapping[str, str] | None = None
) -> ModelHandle:
    """Load the model of a package dir, tiffin.yaml, pyproject.toml or single .py file.

    The returned handle's ``predict(x)`` runs preprocess -> predict -> postprocess
    in this process, exactly as ``tiffin serve`` would.
    """
    return build_handle(load_spec(os.fspath(path)), environ=environ).load()


def build_handle(loaded: LoadedSpec, *, environ: Mapping[str, str] | None = None) -> ModelHandle:
    """Import and check the user's code; return a handle that is not yet instantiated."""
    if environ is None:
        environ = os.environ
        for key, value in loaded.spec.environment.items():
            os.environ.setdefault(key, value)
    spec = loaded.spec
    name = model_name(spec, environ)
    target, initializer = resolve_targets(loaded)
    if inspect.isclass(target):
        check_model_class(target)
        context = model_context(loaded, environ, name)
        factory: Callable[[], Any] = partial(construct_model, target, context, initializer)
    elif callable(target):
        FunctionModel(target, initializer)  # checks the signatures now, not per worker
        factory = partial(FunctionModel, target, initializer)
    else:
        raise ContractError(
            f"{spec.model!r} is a {type(target).__name__}, not a model class or a function",
            hint="point `model` at a class with a predict method or at a predict function",
        )
    model_class = target if inspect.isclass(target) else None
    return ModelHandle(factory, name=name, version=spec.version, info=model_info(loaded),
                       model_class=model_class)  # fmt: skip


def build_execute(loaded: LoadedSpec) -> ExecuteFunction:
    """The spec's ``batch: module:function`` (and ``initialize``), imported and checked."""
    spec = loaded.spec
    if not spec.batch:
        raise ContractError(f"the spec of {loaded.root} names no batch function")
    module_name, _, attr = spec.batch.partition(":")
    function = _get_attr(import_user_module(module_name, loaded), attr, spec.batch)
    if not callable(function):
        raise ContractError(
            f"{spec.batch!r} in the spec of {loaded.root} is not a function",
            hint=f"define `def {attr}(records):` in {module_name}",
        )
    return ExecuteFunction(function, _initializer(loaded))


def load_execute(loaded: LoadedSpec) -> ExecuteFunction:
    """:func:`build_execute`, then its ``initialize()``; a failure is a ModelLoadError."""
    execute = build_execute(loaded)
    try:
        execute.load()
    except TiffinError:
        raise
    except Exception as exc:
        raise load_failed(loaded.spec.name, exc) from exc
    return execute


def resolve_targets(loaded: LoadedSpec) -> tuple[Any, Callable[[], Any] | None]:
    """Import the model target (class or function) and the optional initializer."""
    spec = loaded.spec
    if not spec.model:
        raise ContractError(
            f"the spec of {loaded.root} names no model",
            hint="add `model: my_module:MyModel` to tiffin.yaml",
        )
    module_name, _, attr = spec.model.partition(":")
    module = import_user_module(module_name, loaded)
    target = _get_attr(module, attr, spec.model) if attr else discover_model(module)
    return target, _initializer(loaded)


def _initializer(loaded: LoadedSpec) -> Callable[[], Any] | None:
    """The spec's ``initialize: module:function``, imported, or None."""
    reference = loaded.spec.initialize
    if not reference:
        return None
    module_name, _, attr = reference.partition(":")
    initializer: Callable[[], Any] = _get_attr(
        import_user_module(module_name, loaded), attr, reference
    )
    return initializer


def import_user_module(module_name: str, loaded: LoadedSpec) -> ModuleType:
    """Import ``module_name`` from the package root, turning any failure into ModelLoadError."""
    root = str(loaded.root)
    if root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)
    _forget_shadowed(module_name.split(".")[0], loaded.root)
    try:
        source = loaded.source
        if source is not None and source.suffix == ".py" and source.stem == module_name:
            return _import_file(module_name, source)
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or module_name
        hint = (
            f"check `model` in the spec: no {module_name}.py under {root}"
            if missing == module_name.split(".")[0]
            else f"add {missing!r} to requirements and `pip install` it"
        )
        raise ModelLoadError(
            f"cannot import {module_name!r} from {root}: No module named {missing!r}", hint=hint
        ) from exc
    except SyntaxError as exc:
        raise ModelLoadError(
            f"syntax error in {exc.filename}:{exc.lineno}: {exc.msg}",
            hint="fix the line above and try again",
        ) from exc
    except Exception as exc:
        raise ModelLoadError(
            f"importing {module_name!r} raised {type(exc).__name__}: {exc}"
        ) from exc


def _forget_shadowed(top_level: str, root: Path) -> None:
    """Drop a cached module of the same name imported from elsewhere (another package)."""
    if not ((root / f"{top_level}.py").is_file() or (root / top_level).is_dir()):
        return
    cached = sys.modules.get(top_level)
    origin = getattr(cached, "__file__", None)
    if cached is None or (origin and Path(origin).resolve().is_relative_to(root.resolve())):
        return
    for name in [n for n in sys.modules if n == top_level or n.startswith(top_level + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()


def _import_file(module_name: str, path: Path) -> ModuleType:
    if module_name in sys.modules and getattr(sys.modules[module_name], "__file__", None) == str(
        path
    ):
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def _get_attr(module: ModuleType, attr: str, reference: str) -> Any:
    try:
        return getattr(module, attr)
    except AttributeError:
        public = sorted(n for n in vars(module) if not n.startswith("_"))
        raise ContractError(
            f"{module.__name__} has no attribute {attr!r} (from {reference!r})",
            hint=f"names defined there: {', '.join(public[:12]) or 'none'}",
        ) from None


def discover_model(module: ModuleType) -> Any:
    """Find the one model class (or ``predict`` function) defined in ``module``."""
    classes = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and obj.__module__ == module.__name__
        and callable(getattr(obj, "predict", None))
    ]
    if len(classes) == 1:
        return classes[0]
    if len(classes) > 1:
        names = ", ".join(sorted(c.__name__ for c in classes))
        raise ContractError(
            f"{module.__name__} defines several model classes ({names})",
            hint=f"name one in the spec, e.g. model: {module.__name__}:{classes[0].__name__}",
        )
    function = getattr(module, "predict", None)
    if inspect.isfunction(function):
        return function
    raise ContractError(
        f"no model class found in {getattr(module, '__file__', module.__name__)}",
        hint="define a class with a `predict(self, inputs)` method, or a `predict(payload)`",
    )


def model_context(loaded: LoadedSpec, environ: Mapping[str, str], name: str) -> dict[str, Any]:
    """The values a model constructor may ask for by name."""
    spec = loaded.spec
    secrets = {key: environ[key] for key in spec.secrets if key in environ}
    return {
        "config": dict(spec.config),
        "data_dir": spec.resolved_data_dir(loaded.root),
        "model_dir": resolve_model_dir(loaded, environ),
        "secrets": secrets,
        "logger": logging.getLogger(f"tiffin.model.{name}"),
    }


def resolve_model_dir(loaded: LoadedSpec, environ: Mapping[str, str]) -> Path:
    """MODEL_DIR (KServe), then SM_MODEL_DIR, then a non-empty /opt/ml/model, then the spec."""
    for variable in ("MODEL_DIR", "SM_MODEL_DIR"):
        if environ.get(variable):
            return Path(environ[variable])
    if SAGEMAKER_MODEL_DIR.is_dir() and any(SAGEMAKER_MODEL_DIR.iterdir()):
        return SAGEMAKER_MODEL_DIR
    return loaded.spec.resolved_model_dir(loaded.root)


def construct_model(
    cls: type, context: dict[str, Any], initializer: Callable[[], Any] | None = None
) -> Any:
    """Instantiate a model class with the context values its constructor names."""
    if initializer is not None:
        initializer()
    wanted = constructor_arguments(cls)
    names = INJECTABLE_ARGS if wanted is None else wanted
    return cls(**{key: context[key] for key in names})
