"""The message shape of ml-deploy and Seldon clients: ``{"data": {"names": [...],
"ndarray": [...]}}``.

A model whose ``predict`` asks for ``names`` gets the rows of ``ndarray`` (or of a
``tensor``'s ``values`` in its ``shape``) as its input and ``names`` as the feature
names; ``jsonData`` and ``strData`` messages give their value. The feedback routes read
the same shape for each of their parts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tiffin.errors import InvalidInput

__all__ = ["message_values", "names_of"]


def message_values(message: Any) -> tuple[Any, Any]:
    """``(values, names)`` of a message; anything that is not one is its own value, with
    no names (None)."""
    if not isinstance(message, dict):
        return message, None
    data = message.get("data")
    if isinstance(data, dict) and ("ndarray" in data or "tensor" in data):
        values = data["ndarray"] if "ndarray" in data else _tensor(data["tensor"])
        return values, names_of(data)
    for key in ("jsonData", "strData"):
        if key in message and len(message.keys() - {"meta"}) == 1:
            return message[key], None
    return message, None


def names_of(container: dict[str, Any]) -> Any:
    """The ``names`` of a message's data (or of a KServe V1 body), checked: a list of
    strings, or None when absent."""
    names = container.get("names")
    if names is None:
        return None
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise InvalidInput('"names" must be a list of feature names (strings)',
                           hint='e.g. "names": ["sepal_length", "sepal_width"]')  # fmt: skip
    return names


def _tensor(tensor: Any) -> Any:
    """A Seldon tensor, ``{"shape": [2, 4], "values": [...]}``, as an array."""
    if not isinstance(tensor, dict) or not isinstance(tensor.get("values"), list):
        raise InvalidInput('a "tensor" is {"shape": [...], "values": [...]}')
    values = np.asarray(tensor["values"])
    shape = tensor.get("shape")
    if shape is None:
        return values
    try:
        return values.reshape([int(size) for size in shape])
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"tensor of {values.size} values does not fit shape {shape}: "
                           f"{exc}") from None  # fmt: skip
