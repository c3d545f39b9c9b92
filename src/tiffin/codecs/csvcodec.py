"""``text/csv``: headerless CSV to a 2-D numpy array and back."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np

from tiffin.codecs._compat import is_dataframe, is_series
from tiffin.codecs.registry import Codec, register_codec
from tiffin.errors import InvalidInput

__all__ = ["CSVCodec"]


@register_codec
class CSVCodec(Codec):
    """``text/csv`` without a header row, as SageMaker's built-in algorithms use it."""

    media_type = "text/csv"
    universal = False

    def decode(self, body: bytes) -> np.ndarray:
        """A 2-D float64 array if every field is a number, else a 2-D object array of str."""
        rows = _read_rows(_text(body))
        try:
            return np.array(rows, dtype=np.float64)
        except (ValueError, TypeError):
            return np.array(rows, dtype=object)

    def encode(self, value: Any) -> bytes:
        """Write arrays, lists, DataFrames (values only) or a scalar as CSV lines."""
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(_rows_of(value))
        return out.getvalue().encode("utf-8")


def _text(body: bytes) -> str:
    try:
        text = bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"CSV body is not valid UTF-8: {exc}") from exc
    if not text.strip():
        raise InvalidInput("empty request body; expected CSV")
    return text


def _read_rows(text: str) -> list[list[str]]:
    """Split CSV text into rows, skipping blank lines; rows must be equally long."""
    if '"' in text:
        reader = csv.reader(io.StringIO(text))
        numbered = [(reader.line_num, row) for row in reader if row]
    else:
        numbered = [(n, line.split(",")) for n, line in enumerate(text.splitlines(), 1) if line]
    expected = len(numbered[0][1])
    for number, row in numbered:
        if len(row) != expected:
            raise InvalidInput(
                f"row {number} has {_fields(len(row))}, expected {expected}",
                hint="every CSV row must have the same number of fields",
            )
    return [row for _, row in numbered]


def _fields(count: int) -> str:
    return "1 field" if count == 1 else f"{count} fields"


def _rows_of(value: Any) -> list[list[Any]]:
    if is_dataframe(value) or is_series(value):
        value = value.to_numpy()
    if isinstance(value, np.ndarray):
        return _array_rows(value)
    if isinstance(value, (list, tuple)):
        return [_row(item) for item in value]
    return [[value]]


def _array_rows(arr: np.ndarray) -> list[list[Any]]:
    if arr.ndim > 2:
        raise ValueError(f"cannot write a {arr.ndim}-D array as CSV; reshape it to 2-D")
    if arr.ndim == 0:
        return [[arr.item()]]
    data = arr.tolist()
    return data if arr.ndim == 2 else [[item] for item in data]


def _row(item: Any) -> list[Any]:
    if isinstance(item, np.ndarray):
        return item.tolist() if item.ndim else [item.item()]
    if isinstance(item, (list, tuple)):
        return list(item)
    return [item]
