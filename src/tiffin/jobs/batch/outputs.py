"""Turn model results into output lines: one per record, as JSON lines or CSV.

A result must hold one entry per record of its mini-batch: a list, a tuple, a
numpy array (by its first axis), a pandas Series or DataFrame (by row). With
``--join-source Input`` each line carries its input record too, as SageMaker
joins them: JSON objects get the prediction under ``SageMakerOutput`` (other
JSON values and CSV rows go under ``SageMakerInput``), CSV lines get the
prediction's fields appended.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from tiffin.codecs import dumps
from tiffin.codecs._compat import frame_records, is_dataframe, is_series
from tiffin.errors import BatchError
from tiffin.jobs.batch.options import CSV

__all__ = ["LineEncoder", "split_result"]

OUTPUT_KEY = "SageMakerOutput"
INPUT_KEY = "SageMakerInput"


def split_result(result: Any, count: int) -> Sequence[Any]:
    """``count`` results, one per record (an array stays an array); else BatchError."""
    if is_dataframe(result):
        items: Any = frame_records(result)
    elif isinstance(result, np.ndarray) and result.ndim:
        items = result
    elif is_series(result):
        items = result.tolist()
    elif isinstance(result, list | tuple):
        items = list(result)
    elif count == 1:
        items = [result.tolist() if isinstance(result, np.generic | np.ndarray) else result]
    else:
        raise BatchError(
            f"the model returned one {type(result).__name__} for {count} records",
            hint="return one result per record: a list, an array or a DataFrame",
        )
    if len(items) != count:
        raise BatchError(
            f"the model returned {len(items)} results for {count} records",
            hint="batch needs exactly one result per record, in order",
        )
    return items


class LineEncoder:
    """Encodes results (and joined inputs) as one line of bytes per record."""

    def __init__(self, accept: str, join: bool) -> None:
        self.csv = accept == CSV
        self.join = join

    def body(self, items: Sequence[Any]) -> bytes:
        """The lines of these results, each ended by a newline."""
        if isinstance(items, np.ndarray):
            text = _array_text(items, self.csv)
            if text is not None:
                return text + b"\n"
        lines = self.lines(items)
        return b"\n".join(lines) + b"\n" if lines else b""

    def lines(self, items: Sequence[Any]) -> list[bytes]:
        """One line per result, without line ends."""
        if isinstance(items, np.ndarray):
            text = _array_text(items, self.csv)
            if text is not None:
                return text.split(b"\n")
            items = items.tolist()
        if items and _all_numbers(items):
            if self.csv and type(items[0]) is float:  # as csv writes them: repr, not JSON
                return "\n".join(map(repr, items)).encode("utf-8").split(b"\n")
            return orjson.dumps(items)[1:-1].split(b",")
        if self.csv:
            return _csv_lines([_fields(item) for item in items])
        return [dumps(item) for item in items]

    def joined(self, record: Any, raw: bytes | None, item: Any, ok: bool) -> bytes:
        """A line holding the input record and its result (None when the record failed)."""
        if self.csv:
            output = _csv_line(_fields(item)) if ok else b""
            source = raw if raw is not None else _csv_line(_fields(record))
            return source + b"," + output
        value = item if ok else None
        if isinstance(record, dict):
            return dumps({**record, OUTPUT_KEY: value})
        return dumps({INPUT_KEY: record, OUTPUT_KEY: value})

    def placeholder(self) -> bytes:
        """The line written for a failed record under ``--on-error record``."""
        return b"" if self.csv else b"null"


def _array_text(array: np.ndarray, csv: bool) -> bytes | None:
    """A 1-D array of numbers as lines in one call, exactly as the slow path writes them."""
    if array.ndim != 1 or not len(array) or not array.dtype.isnative:
        return None
    kind, size = array.dtype.kind, array.dtype.itemsize
    if kind in "iu" or (kind == "f" and size == 8 and not csv) or (kind == "b" and not csv):
        body = orjson.dumps(np.ascontiguousarray(array), option=orjson.OPT_SERIALIZE_NUMPY)
        return body[1:-1].replace(b",", b"\n")
    if kind == "f" and size == 8:
        return "\n".join(map(repr, array.tolist())).encode("utf-8")
    return None


def _all_numbers(items: Sequence[Any]) -> bool:
    first = items[0]
    if type(first) not in (int, float):
        return False
    kind = type(first)
    return all(type(item) is kind for item in items)


def _fields(item: Any) -> Sequence[Any]:
    if isinstance(item, dict):
        return list(item.values())
    if isinstance(item, list | tuple):
        return item
    if isinstance(item, np.ndarray):
        return item.tolist() if item.ndim else [item.item()]
    return [item]


def _csv_lines(rows: list[Sequence[Any]]) -> list[bytes]:
    """One CSV line per row, written in one go unless a field holds a line break."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    lines = buffer.getvalue().encode("utf-8").split(b"\n")[:-1]
    if len(lines) == len(rows):
        return lines
    return [_csv_line(row) for row in rows]


def _csv_line(fields: Sequence[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue().encode("utf-8")
