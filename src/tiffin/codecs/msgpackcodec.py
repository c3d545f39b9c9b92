"""``application/x-msgpack``: msgpack with numpy arrays, msgpack-numpy compatible.

An array travels as the map ``{b"nd": True, b"type": dtype.str, b"kind": b"",
b"shape": [...], b"data": <C-order bytes>}`` and a numpy scalar as
``{b"nd": False, b"type": dtype.str, b"data": <bytes>}``, the convention of
the msgpack-numpy package, so its clients can talk to tiffin unchanged. The
decoder accepts these keys as str or bytes. Decoded arrays are read-only views
of the message (no copy). Object arrays are sent as plain lists; pickled
arrays (kind ``b"O"``) are refused.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

import msgpack
import numpy as np

from tiffin.codecs.jsoncodec import to_builtin
from tiffin.codecs.registry import Codec, register_codec
from tiffin.errors import InvalidInput

__all__ = ["MsgpackCodec"]


@register_codec
class MsgpackCodec(Codec):
    """msgpack; also answers to ``application/msgpack``."""

    media_type = "application/x-msgpack"
    aliases = ("application/msgpack",)

    def decode(self, body: bytes) -> Any:
        """Unpack the body, restoring numpy arrays and scalars with dtype and shape."""
        if not body:
            raise InvalidInput("empty request body; expected msgpack")
        try:
            return msgpack.unpackb(body, object_hook=_decode_numpy, strict_map_key=False)
        except InvalidInput:
            raise
        except Exception as exc:
            raise InvalidInput(f"body is not valid msgpack: {exc}") from exc

    def encode(self, value: Any) -> bytes:
        """Pack ``value``; numpy arrays keep their dtype and shape."""
        return msgpack.packb(value, default=_encode_numpy, use_bin_type=True)


def _encode_numpy(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return _encode_array(obj)
    if isinstance(obj, (np.number, np.bool_)):
        return {b"nd": False, b"type": obj.dtype.str, b"data": obj.tobytes()}
    if isinstance(obj, (datetime.date, datetime.time)):
        return obj.isoformat()
    return to_builtin(obj)


def _encode_array(arr: np.ndarray) -> Any:
    kind = arr.dtype.kind
    if kind == "O":
        return arr.tolist()
    if kind == "V":
        descr: Any = arr.dtype.descr
        kind_tag = b"V"
    else:
        descr, kind_tag = arr.dtype.str, b""
    data = arr.data if arr.flags.c_contiguous and arr.ndim else arr.tobytes()
    return {
        b"nd": True,
        b"type": descr,
        b"kind": kind_tag,
        b"shape": list(arr.shape),
        b"data": data,
    }


def _decode_numpy(obj: dict[Any, Any]) -> Any:
    if b"nd" in obj:
        return _restore(obj[b"nd"], obj.get(b"type"), obj.get(b"kind"), obj.get(b"shape"), obj)
    if "nd" in obj and "type" in obj and "data" in obj:
        return _restore(obj["nd"], obj["type"], obj.get("kind"), obj.get("shape"), obj)
    return obj


def _restore(nd: Any, descr: Any, kind: Any, shape: Any, obj: dict[Any, Any]) -> Any:
    data = obj.get(b"data", obj.get("data"))
    try:
        if kind in (b"O", "O"):
            raise InvalidInput("msgpack body holds a pickled object array, which is not accepted")
        if descr is None or not isinstance(data, bytes):
            raise ValueError("it needs 'type' and 'data' (bytes)")
        dtype = _dtype(descr, kind)
        if nd is not True:
            return np.frombuffer(data, dtype=dtype)[0]
        shape = tuple(shape)
        needed = dtype.itemsize * math.prod(shape)
        if len(data) != needed:
            raise ValueError(f"{len(data)} bytes of data but shape {list(shape)} needs {needed}")
        return np.ndarray(buffer=data, dtype=dtype, shape=shape)
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput(f"msgpack body holds a malformed numpy array: {exc}") from exc


def _dtype(descr: Any, kind: Any) -> np.dtype:
    if kind in (b"V", "V"):
        return np.dtype([_field(item) for item in descr])
    return np.dtype(descr)


def _field(item: list[Any]) -> tuple[Any, ...]:
    name, sub, *shape = item
    sub = [_field(s) for s in sub] if isinstance(sub, list) else sub
    return (name, sub, *(tuple(s) if isinstance(s, list) else s for s in shape))
