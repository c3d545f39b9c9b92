"""``application/jsonlines``: one JSON document per line."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from tiffin.codecs._compat import frame_records, is_dataframe, is_series
from tiffin.codecs.jsoncodec import dumps
from tiffin.codecs.registry import Codec, register_codec
from tiffin.errors import InvalidInput

__all__ = ["JSONLinesCodec"]


@register_codec
class JSONLinesCodec(Codec):
    """JSON lines; also answers to ``application/x-jsonlines`` and ``application/jsonl``."""

    media_type = "application/jsonlines"
    aliases = ("application/x-jsonlines", "application/jsonl")

    def decode(self, body: bytes) -> list[Any]:
        """A list with one JSON value per non-empty line."""
        values = []
        for number, line in enumerate(bytes(body).split(b"\n"), 1):
            if not line.strip():
                continue
            try:
                values.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise InvalidInput(f"malformed JSON on line {number}: {exc}") from exc
        if not values:
            raise InvalidInput("empty request body; expected JSON lines")
        return values

    def encode(self, value: Any) -> bytes:
        """One line per element of a list/array, per row of a DataFrame, else one line."""
        items = _items(value)
        if items is None:
            return dumps(value) + b"\n"
        if not items:
            return b""
        return b"\n".join([dumps(item) for item in items]) + b"\n"


def _items(value: Any) -> list[Any] | tuple[Any, ...] | None:
    if isinstance(value, (list, tuple)):
        return value
    if isinstance(value, np.ndarray):
        return value.tolist() if value.ndim else None
    if is_dataframe(value):
        return frame_records(value)
    if is_series(value):
        return value.tolist()
    return None
