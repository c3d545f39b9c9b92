"""What the Open Inference Protocol's REST and gRPC adapters share.

Both decode their input tensors with :mod:`tiffin.codecs.tensors`, then hand the model
the same payload, name its result the same way and pick the requested outputs the same
way; only the wire format around them differs (:mod:`tiffin.protocols.oip_v2`,
:mod:`tiffin.protocols.oip_v2_grpc`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tiffin.errors import InvalidInput, PredictionFailed, TiffinError

DEFAULT_OUTPUT = "output-0"
"""The name of a model's only output when the model declares none."""


def model_payload(inputs: Sequence[tuple[str, Any]]) -> Any:
    """What the model receives: one input tensor as its array, several as a dict by name."""
    if len(inputs) == 1:
        return inputs[0][1]
    return {name: array for name, array in inputs}


def named_outputs(result: Any, declared: list[dict[str, Any]]) -> dict[str, Any]:
    """Split a model result into named output tensors: a dict result by its keys, anything
    else as one output named after the model's single declared output, or ``output-0``."""
    if isinstance(result, dict):
        return result
    name = declared[0]["name"] if len(declared) == 1 and "name" in declared[0] else DEFAULT_OUTPUT
    return {name: result}


def select_outputs(
    outputs: dict[str, Any], requested: list[Any] | None, everything_binary: bool
) -> tuple[dict[str, Any], set[str]]:
    """Keep the requested outputs (all when none are named); return which go binary.

    ``requested`` holds ``{"name", "parameters"}`` objects; an output's
    ``parameters.binary_data`` overrides ``everything_binary`` (the request's
    ``binary_data_output``).
    """
    if not requested:
        return outputs, set(outputs) if everything_binary else set()
    selected: dict[str, Any] = {}
    binary: set[str] = set()
    for item in requested:
        name = item.get("name") if isinstance(item, dict) else None
        if name not in outputs:
            raise InvalidInput(
                f"requested output {name!r} does not exist; outputs: {', '.join(outputs)}"
            )
        selected[name] = outputs[name]
        if (item.get("parameters") or {}).get("binary_data", everything_binary):
            binary.add(name)
    return selected, binary


@contextmanager
def encode_stage() -> Iterator[None]:
    """Turn a result that is no tensor into a failure of the ``encode`` stage: the model has
    to change, not the request. tiffin's own errors pass through."""
    try:
        yield
    except TiffinError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise PredictionFailed("encode", exc) from exc
