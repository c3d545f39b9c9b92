"""What ``GET /console/api/models`` answers: the served models as the page shows them."""

from __future__ import annotations

import os
from typing import Any

from tiffin.inference.dataplane import MODEL_ALIAS, DataPlane
from tiffin.protocols.context import ServerContext
from tiffin.version import __version__


def models_summary(dp: DataPlane, ctx: ServerContext) -> dict[str, Any]:
    """The server (as seen by the worker answering) and every model it serves."""
    return {
        "server": {
            "name": "tiffin",
            "version": __version__,
            "workers": ctx.workers,
            "worker_pid": os.getpid(),
        },
        "models": [model_summary(dp)],
    }


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
