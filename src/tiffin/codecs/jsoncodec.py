"""JSON: fast ``dumps``/``loads`` built on orjson, and the ``application/json`` codec.

``dumps`` writes numpy arrays natively and converts numpy scalars, pandas
objects, sets, bytes, Decimals and pydantic models through one ``default`` hook.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import numpy as np
import orjson

from tiffin.codecs._compat import frame_records, is_dataframe, is_pandas
from tiffin.codecs.registry import Codec, encode_result, register_codec
from tiffin.errors import InvalidInput

__all__ = ["JSONCodec", "dumps", "loads", "to_builtin"]

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
_NATIVE_ARRAY_KINDS = frozenset("biuf")


def dumps(value: Any) -> bytes:
    """Serialize ``value`` to JSON bytes; numpy and pandas values are welcome.

    Raises :class:`TypeError` naming the type of anything it cannot serialize.
    """
    return orjson.dumps(value, default=to_builtin, option=_OPTIONS)


def loads(body: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON; raise :class:`~tiffin.errors.InvalidInput` if it is malformed."""
    if not body:
        raise InvalidInput("empty request body; expected JSON")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON: {exc}") from exc


def to_builtin(obj: Any) -> Any:
    """Convert a value orjson cannot write into one it can (the ``default`` hook)."""
    if isinstance(obj, np.ndarray):
        return _array(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if is_pandas(obj) or is_dataframe(obj):
        return _pandas_value(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return _bytes(bytes(obj))
    if isinstance(obj, Decimal):
        return float(obj)
    return _duck_typed(obj)


def _array(arr: np.ndarray) -> Any:
    native = arr.dtype.kind in _NATIVE_ARRAY_KINDS and arr.dtype.isnative
    if native and arr.ndim and not arr.flags.c_contiguous:
        return np.ascontiguousarray(arr)
    return arr.tolist()


def _pandas_value(obj: Any) -> Any:
    if is_dataframe(obj):
        return frame_records(obj)
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "isoformat"):
        return None if type(obj).__name__ == "NaTType" else obj.isoformat()
    if type(obj).__name__ == "NAType":
        return None
    return _duck_typed(obj)


def _bytes(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii")


def _duck_typed(obj: Any) -> Any:
    for method in ("tolist", "model_dump", "dict"):
        func = getattr(obj, method, None)
        if callable(func):
            return func()
    raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")


def dumps_result(value: Any) -> bytes:
    """:func:`dumps` of a model's result: what it cannot serialize fails the ``encode``
    stage (:func:`~tiffin.codecs.registry.encode_result`)."""
    return encode_result(_JSON, value)


@register_codec
class JSONCodec(Codec):
    """``application/json``: plain JSON values in, anything ``dumps`` handles out."""

    media_type = "application/json"

    def decode(self, body: bytes) -> Any:
        """Parse the body as JSON; lists stay lists."""
        return loads(body)

    def encode(self, value: Any) -> bytes:
        """Serialize ``value`` with :func:`dumps`."""
        return dumps(value)


_JSON = JSONCodec()
