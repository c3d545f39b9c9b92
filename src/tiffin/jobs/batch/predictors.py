"""What scores a mini-batch: the model's pipeline, or the package's execute function.

A package whose spec names ``batch: module:function`` (Baklava's ``execute``) is
scored by that function: it receives a list of records and returns their
results; the spec's ``initialize`` runs once per worker first. Any other package
is scored by its model, loaded once per worker, through preprocess -> predict ->
postprocess exactly as ``tiffin predict`` and the server run it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Predictor", "load_predictor"]


@dataclass
class Predictor:
    """A loaded scorer. ``wants_values``: it takes plain records, not the server's payload."""

    call: Callable[[Any], Any]
    wants_values: bool
    load_seconds: float


def load_predictor(package: str) -> Predictor:
    """Import, check and load the package's scorer in this process.

    Load failures come worded by the model layer (a :class:`ModelLoadError`), exactly as
    the server and ``tiffin predict`` report them.
    """
    from tiffin.model.loader import build_handle, load_execute
    from tiffin.spec import load_spec

    started = time.perf_counter()
    _quiet_model_logs()
    loaded = load_spec(package)
    if loaded.spec.batch:
        execute = load_execute(loaded)
        return Predictor(execute, True, time.perf_counter() - started)
    handle = build_handle(loaded).load()
    return Predictor(handle.predict, False, time.perf_counter() - started)


def check_package(package: str) -> None:
    """Import and check the user's code without loading the model (fails fast, once)."""
    from tiffin.model.loader import build_execute, build_handle
    from tiffin.spec import load_spec

    loaded = load_spec(package)
    if loaded.spec.batch:
        build_execute(loaded)
    else:
        build_handle(loaded)


def _quiet_model_logs() -> None:
    """Failing records are reported by the job; keep their tracebacks off stderr.

    Only Python's last-resort handler is silenced: logging set up by the user still
    receives them.
    """
    logging.getLogger("tiffin.model").addHandler(logging.NullHandler())
