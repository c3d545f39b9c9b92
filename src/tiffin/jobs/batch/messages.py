"""The typed messages that cross process boundaries: a chunk of input and its result.

Both are plain, picklable data, so any engine (a local process pool, Ray, Dask)
can carry them. Errors travel as :class:`Failure` data, never as exceptions,
and are turned back into tiffin errors by the process that reads the results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tiffin import errors
from tiffin.errors import BatchError, BatchInputError, RecordFailed, TiffinError

__all__ = ["Chunk", "ChunkResult", "Failure"]


@dataclass(frozen=True)
class Chunk:
    """Consecutive records of one input file, the unit of work and of resumption.

    ``data`` is the raw bytes of whole lines (CSV, JSON lines, or a whole file when
    the split type is None) or a ``pyarrow.RecordBatch`` (Parquet). ``first_line``
    is the 1-based line (or row) of its first record; ``weight`` is the number of
    input bytes it covers, for progress; ``columns`` is the field count of a CSV
    file's first record, which every record of the file must match.
    """

    file: int
    index: int
    first_line: int
    data: Any
    weight: int
    columns: int = 0


@dataclass(frozen=True)
class Failure:
    """Why a chunk could not be finished: the error's kind, message and where."""

    kind: str
    message: str
    hint: str | None = None
    line: int | None = None

    @classmethod
    def of(cls, error: BaseException, line: int | None = None) -> Failure:
        """Describe an exception raised while processing a chunk."""
        if isinstance(error, TiffinError):
            return cls(type(error).__name__, error.template, error.hint_template, line)
        return cls("BatchError", f"{type(error).__name__}: {error}", None, line)

    def to_error(self, file_name: str) -> TiffinError:
        """The tiffin error this failure stands for, naming the input file."""
        if self.kind == "RecordFailed":
            return RecordFailed(file_name, self.line, self.message)
        cls = error_class(self.kind)
        where = file_name if self.line is None else f"{file_name}:{self.line}"
        about_file = cls in (BatchError, BatchInputError)
        message = f"{where}: {self.message}" if about_file else self.message
        return rebuilt(cls, message, self.hint)


def error_class(kind: str) -> type[TiffinError]:
    """The class of tiffin's error tree named ``kind``; BatchError for anything else."""
    found = getattr(errors, kind, None)
    if isinstance(found, type) and issubclass(found, TiffinError):
        return found
    return BatchError


def rebuilt(cls: type[TiffinError], message: str, hint: str | None) -> TiffinError:
    """An error of class ``cls`` carrying ``message`` and ``hint`` as they were worded in the
    worker (the class keeps its exit code; its own constructor's arguments are not needed)."""
    error = cls.__new__(cls)
    TiffinError.__init__(error, message, hint=hint)
    return error


@dataclass(frozen=True)
class ChunkResult:
    """What became of a chunk: the bytes of its output part and its counts.

    ``errors`` holds one ``{"record", "line", "error"}`` entry per failed record
    (``record`` counted from the chunk's first record) under ``--on-error record``.
    """

    file: int
    index: int
    body: bytes = b""
    records: int = 0
    written: int = 0
    skipped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    failure: Failure | None = None
    load_seconds: float | None = None
