"""Turn a chunk into records, and records into what the model receives.

A mini-batch of records is handed to the model exactly as the server's
``POST /invocations`` would hand it the same records: CSV lines become a 2-D
array (float64 when every field is a number, else strings), JSON lines a list
of values. Parquet rows become a 2-D array too, so one model scores CSV and
Parquet alike. An execute function gets plain values instead: CSV rows as
lists, JSON lines as they are, Parquet rows as dicts keyed by column name.

Blank lines are not records. A line that cannot be read (ragged CSV,
malformed JSON) is a record error, handled by the job's error policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
import orjson

from tiffin.codecs import decoder_for
from tiffin.errors import TiffinError
from tiffin.jobs.batch.csvparse import count_fields, parse_numeric
from tiffin.jobs.batch.messages import Chunk

__all__ = ["Records", "records_of"]

Positions = Sequence[int] | None
"""Indexes of records in a chunk; None means all of them."""


class Records:
    """The records of one chunk; ``errors`` maps a position to why it cannot be read."""

    label = "line"
    units: list[Any]
    """One raw unit per record (its line, for text formats)."""

    def __init__(self, chunk: Chunk, count: int, numbers: list[int] | None = None) -> None:
        self.first_line = chunk.first_line
        self.total_size = chunk.weight
        self.count = count
        self.errors: dict[int, str] = {}
        self._numbers = numbers

    def line(self, position: int) -> int:
        """The 1-based line (or row) of a record in its file."""
        if self._numbers is None:
            return self.first_line + position
        return self._numbers[position]

    def sizes(self) -> list[int]:
        """The size in bytes each record adds to a request."""
        return [len(unit) + 1 for unit in self.units]

    def payload(self, positions: Positions) -> Any:
        """What the model receives for these records."""
        raise NotImplementedError

    def values(self, positions: Positions) -> list[Any]:
        """These records as plain values, for an execute function."""
        raise NotImplementedError

    def join_value(self, position: int) -> Any:
        """One record as a plain value, to join with its prediction."""
        return self.values([position])[0]

    def raw(self, position: int) -> bytes | None:
        """The record's own text when it can be copied to a CSV output as is."""
        return None


class CsvRecords(Records):
    """Headerless CSV lines; ``columns`` is the field count of the file's first record."""

    def __init__(self, chunk: Chunk, columns: int) -> None:
        data = chunk.data
        self._data = data
        self.array = parse_numeric(data, columns)
        if self.array is not None and _one_record_per_line(data, len(self.array)):
            super().__init__(chunk, len(self.array))  # the fast path: lines split lazily
            return
        units, numbers = _split_lines(data, chunk.first_line)
        super().__init__(chunk, len(units), numbers)
        self.units = units
        if self.array is not None and len(self.array) != self.count:
            self.array = None
        if self.array is None:
            for position, unit in enumerate(self.units):
                found = count_fields(unit)
                if found != columns:
                    self.errors[position] = (
                        f"has {_fields(found)}, expected {columns} as on the file's first line"
                    )

    @cached_property
    def units(self) -> list[bytes]:  # type: ignore[override]
        return _split_lines(self._data, self.first_line)[0]

    def payload(self, positions: Positions) -> Any:
        if self.array is not None:
            return self.array if positions is None else self.array[list(positions)]
        picked = self.units if positions is None else [self.units[p] for p in positions]
        return decoder_for("text/csv").decode(b"\n".join(picked))

    def values(self, positions: Positions) -> list[Any]:
        return self.payload(positions).tolist()

    def raw(self, position: int) -> bytes | None:
        return self.units[position]


class JsonLinesRecords(Records):
    """One JSON value per line."""

    def __init__(self, chunk: Chunk) -> None:
        units, numbers = _split_lines(chunk.data, chunk.first_line)
        super().__init__(chunk, len(units), numbers)
        self.units = units
        self.parsed: list[Any] = []
        for position, unit in enumerate(self.units):
            try:
                self.parsed.append(orjson.loads(unit))
            except orjson.JSONDecodeError as exc:
                self.parsed.append(None)
                self.errors[position] = f"malformed JSON: {exc}"

    def payload(self, positions: Positions) -> Any:
        return self.values(positions)

    def values(self, positions: Positions) -> list[Any]:
        if positions is None:
            return list(self.parsed)
        return [self.parsed[p] for p in positions]


class ParquetRecords(Records):
    """Rows of a ``pyarrow.RecordBatch``."""

    label = "row"

    def __init__(self, chunk: Chunk) -> None:
        super().__init__(chunk, chunk.data.num_rows)
        self.batch = chunk.data

    def sizes(self) -> list[int]:
        per_row = max(self.batch.nbytes // max(self.count, 1), 1)
        return [per_row] * self.count

    @cached_property
    def array(self) -> np.ndarray:
        return table_array(self.batch)

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        return self.batch.to_pylist()

    def payload(self, positions: Positions) -> Any:
        return self.array if positions is None else self.array[list(positions)]

    def values(self, positions: Positions) -> list[Any]:
        return list(self.rows) if positions is None else [self.rows[p] for p in positions]


class WholeFileRecords(Records):
    """Split type None: the whole file is one record, decoded as the server would."""

    def __init__(self, chunk: Chunk, content_type: str) -> None:
        super().__init__(chunk, 1)
        self.decoded: Any = None
        try:
            if content_type == "application/x-parquet":
                self.decoded = table_array(chunk.data)
            else:
                self.decoded = decoder_for(content_type).decode(chunk.data)
        except TiffinError as exc:
            self.errors[0] = exc.message

    def sizes(self) -> list[int]:
        return [1]

    def payload(self, positions: Positions) -> Any:
        return self.decoded

    def values(self, positions: Positions) -> list[Any]:
        value = self.decoded
        return value.tolist() if isinstance(value, np.ndarray) else value


def records_of(chunk: Chunk, content_type: str, whole_file: bool, columns: int) -> Records:
    """The records of a chunk of a file of ``content_type``."""
    if whole_file:
        return WholeFileRecords(chunk, content_type)
    if content_type == "text/csv":
        return CsvRecords(chunk, columns)
    if content_type == "application/x-parquet":
        return ParquetRecords(chunk)
    return JsonLinesRecords(chunk)


def table_array(table: Any) -> np.ndarray:
    """An Arrow table or batch as a 2-D array: float64 if every column is numeric."""
    columns = [column.to_numpy(zero_copy_only=False) for column in table.columns]
    if not columns:
        return np.empty((table.num_rows, 0))
    if all(column.dtype.kind in "iufb" for column in columns):
        return np.column_stack(columns).astype(np.float64, copy=False)
    return np.column_stack([column.astype(object) for column in columns])


def _one_record_per_line(data: bytes, rows: int) -> bool:
    """True if ``data`` has exactly ``rows`` lines: the parser skips blank lines, so none is."""
    return data.count(b"\n") + (not data.endswith(b"\n")) == rows


def _split_lines(data: bytes, first_line: int) -> tuple[list[bytes], list[int] | None]:
    """Non-blank lines without their line ends, and their line numbers if any were blank."""
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    if b"\r" in data:
        lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    if all(lines):
        return lines, None
    kept = [(first_line + n, line) for n, line in enumerate(lines) if line]
    return [line for _, line in kept], [number for number, _ in kept]


def _fields(count: int) -> str:
    return "1 field" if count == 1 else f"{count} fields"
