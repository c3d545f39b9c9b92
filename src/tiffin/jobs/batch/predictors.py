"""What scores a mini-batch: the model's pipeline, or the package's execute function.

A package whose spec names ``batch: module:function`` (Baklava's ``execute``) is
scored by that function: it receives a list of records and returns their
results; the spec's ``initialize`` runs once per worker first. Any other package
is scored by its model, loaded once per worker, through preprocess -> predict ->
postprocess exactly as ``tiffin predict`` and the server run it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tiffin.errors import ModelLoadError, PredictionFailed, TiffinError

__all__ = ["Predictor", "load_predictor"]


@dataclass
class Predictor:
    """A loaded scorer. ``wants_values``: it takes plain records, not the server's payload."""

    call: Callable[[Any], Any]
    wants_values: bool
    load_seconds: float


def load_predictor(package: str) -> Predictor:
    """Import, check and load the package's scorer in this process."""
    from tiffin.model.loader import build_handle
    from tiffin.spec import load_spec

    started = time.perf_counter()
    _quiet_model_logs()
    loaded = load_spec(package)
    if loaded.spec.batch:
        call = _execute_function(loaded)
        return Predictor(call, True, time.perf_counter() - started)
    handle = build_handle(loaded)
    try:
        handle.load()
    except TiffinError:
        raise
    except Exception as exc:
        raise ModelLoadError(
            f"loading the model raised {type(exc).__name__}: {exc}",
            hint="`tiffin predict PATH --data ...` reproduces it in-process",
        ) from exc
    return Predictor(handle.predict, False, time.perf_counter() - started)


def check_package(package: str) -> None:
    """Import and check the user's code without loading the model (fails fast, once)."""
    from tiffin.model.loader import build_handle
    from tiffin.spec import load_spec

    loaded = load_spec(package)
    if loaded.spec.batch:
        _resolve(loaded, loaded.spec.batch)
    else:
        build_handle(loaded)


def _execute_function(loaded: Any) -> Callable[[Any], Any]:
    from tiffin.model.contract import check_single_argument
    from tiffin.model.functions import _parse_json_string

    function = _resolve(loaded, loaded.spec.batch)
    check_single_argument(function)
    if loaded.spec.initialize:
        _resolve(loaded, loaded.spec.initialize)()
    is_async = inspect.iscoroutinefunction(function)

    def execute(records: Any) -> Any:
        try:
            result = asyncio.run(function(records)) if is_async else function(records)
        except TiffinError:
            raise
        except Exception as exc:
            raise PredictionFailed("execute", exc) from exc
        return _parse_json_string(result)

    return execute


def _resolve(loaded: Any, reference: str) -> Callable[..., Any]:
    """Import ``module:function`` from the package root."""
    from tiffin.errors import ContractError
    from tiffin.model.loader import import_user_module

    module_name, _, name = reference.partition(":")
    function = getattr(import_user_module(module_name, loaded), name, None)
    if not callable(function):
        raise ContractError(
            f"{reference!r} in the spec of {loaded.root} is not a function",
            hint=f"define `def {name}(records):` in {module_name}",
        )
    return function


def _quiet_model_logs() -> None:
    """Failing records are reported by the job; keep their tracebacks off stderr.

    Only Python's last-resort handler is silenced: logging set up by the user still
    receives them.
    """
    logging.getLogger("tiffin.model").addHandler(logging.NullHandler())
