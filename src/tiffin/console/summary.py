"""What ``GET /console/api/models`` answers: the served models as the page shows them."""

from __future__ import annotations

import os
from typing import Any

from tiffin.inference.dataplane import MODEL_ALIAS, DataPlane, ModelState
from tiffin.inference.repository import ModelRepository, Slot
from tiffin.protocols.context import ServerContext
from tiffin.version import __version__


def models_summary(models: ModelRepository, ctx: ServerContext) -> dict[str, Any]:
    """The server (as seen by the worker answering) and every model it serves."""
    return {
        "server": {
            "name": "tiffin",
            "version": __version__,
            "workers": ctx.workers,
            "worker_pid": os.getpid(),
        },
        "models": [model_summary(models.single)] if models.single is not None
        else [slot_summary(models.slots[name]) for name in models.names],
    }  # fmt: skip


def slot_summary(slot: Slot) -> dict[str, Any]:
    """One model of a repository (no alias): as :func:`model_summary` once built, else its
    name and state; a failure carries its reason."""
    if slot.dataplane is not None:
        summary = model_summary(slot.dataplane)
    else:
        summary = dict.fromkeys(("version", "load_seconds", "framework", "description",
                                 "example_input"))  # fmt: skip
        summary.update(name=slot.name, inputs=[], outputs=[])
    error = slot.error
    summary.update(
        aliases=[],
        state=(slot.state or ModelState.LOADING).value,
        error=None if error is None else {"message": error.message, "hint": error.hint},
    )
    return summary


def model_summary(dp: DataPlane) -> dict[str, Any]:
    """One model: identity, state (with the reason of a failure), tensors, example input."""
    error = dp.error
    return {
        "name": dp.name,
        "aliases": [MODEL_ALIAS],
        "version": dp.version,
        "state": dp.state.value,
        "load_seconds": dp.load_seconds,
        "error": None if error is None else {"message": error.message, "hint": error.hint},
        "framework": dp.info.framework,
        "description": dp.info.description,
        "example_input": dp.info.example_input,
        "inputs": dp.inputs,
        "outputs": dp.outputs,
    }
