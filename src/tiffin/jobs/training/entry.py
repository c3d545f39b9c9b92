"""Find the training entry point of a package and call it."""

from __future__ import annotations

import inspect
import json
import os
import runpy
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from tiffin.errors import ContractError, TrainingError
from tiffin.jobs.training.context import TrainingContext
from tiffin.model.loader import (
    construct_model,
    discover_model,
    import_user_module,
    model_context,
)
from tiffin.spec import LoadedSpec

Entry = Callable[[TrainingContext], None]


def describe_entry(loaded: LoadedSpec) -> str:
    """What SM_USER_ENTRY_POINT reports: the script, ``module:function`` or the model."""
    return loaded.spec.train or loaded.spec.model or "train"


def resolve_entry(loaded: LoadedSpec) -> Entry:
    """The training entry: ``train`` in the spec, else the model class's or module's train."""
    reference = loaded.spec.train
    if reference and reference.endswith(".py"):
        return _script_entry(loaded.root / reference)
    if reference:
        module_name, _, attr = reference.partition(":")
        module = import_user_module(module_name, loaded)
        if not attr and not callable(getattr(module, "train", None)):
            return _module_entry(module_name)
        return _callable_entry(getattr(module, attr or "train"), loaded, reference)
    if loaded.spec.model:
        entry = _model_entry(loaded, loaded.spec.model)
        if entry is not None:
            return entry
    raise TrainingError(
        "this package has no training entry point",
        hint="add `train(self, ctx)` to the model class, or `train: module:function` "
        "(or `train: train.py`) to tiffin.yaml",
    )


def _model_entry(loaded: LoadedSpec, reference: str) -> Entry | None:
    """The ``train`` of the served model class (found as ``tiffin serve`` finds it), else
    a ``train`` function of its module."""
    module_name, _, attr = reference.partition(":")
    module = import_user_module(module_name, loaded)
    for candidate in (_served_target(module, attr), module):
        train = getattr(candidate, "train", None)
        if callable(train):
            target = candidate if inspect.isclass(candidate) else train
            return _callable_entry(target, loaded, reference)
    return None


def _served_target(module: ModuleType, attr: str) -> Any:
    """``module.attr``, or the one model class ``tiffin serve`` would find in ``module``."""
    if attr:
        return getattr(module, attr, None)
    try:
        return discover_model(module)
    except ContractError:
        return None


def _callable_entry(target: Any, loaded: LoadedSpec, reference: str) -> Entry:
    if inspect.isclass(target):
        return _class_entry(target, loaded)
    if not callable(target):
        raise TrainingError(f"{reference!r} is not callable")
    takes_context = _positional_count(target) >= 1

    def run(ctx: TrainingContext) -> None:
        target(ctx) if takes_context else target()

    return run


def _class_entry(cls: type, loaded: LoadedSpec) -> Entry:
    def run(ctx: TrainingContext) -> None:
        context = model_context(loaded, os.environ, loaded.spec.name)
        context["model_dir"] = ctx.model_dir
        instance = construct_model(cls, context)
        checkpoint = getattr(instance, "checkpoint", None)
        if callable(checkpoint):
            ctx.on_stop(lambda: checkpoint(ctx))
        instance.train(ctx)

    return run


def _script_entry(script: Path) -> Entry:
    if not script.is_file():
        raise TrainingError(f"training script {script} does not exist")

    def run(ctx: TrainingContext) -> None:
        _run_as_main(lambda: runpy.run_path(str(script), run_name="__main__"),
                     [str(script), *_user_args(ctx)], script.name)  # fmt: skip

    return run


def _module_entry(module_name: str) -> Entry:
    def run(ctx: TrainingContext) -> None:
        _run_as_main(lambda: runpy.run_module(module_name, run_name="__main__", alter_sys=True),
                     [module_name, *_user_args(ctx)], module_name)  # fmt: skip

    return run


def _user_args(ctx: TrainingContext) -> list[str]:
    """The hyperparameters as script arguments, exactly as SM_USER_ARGS lists them."""
    return json.loads(ctx.environment["SM_USER_ARGS"])


def _run_as_main(call: Callable[[], Any], argv: list[str], label: str) -> None:
    saved = sys.argv
    sys.argv = argv
    try:
        call()
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise TrainingError(f"{label} exited with status {exc.code}") from None
    finally:
        sys.argv = saved


def _positional_count(func: Callable[..., Any]) -> int:
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return 0
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in parameters if p.kind in kinds)
