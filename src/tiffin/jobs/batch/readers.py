"""Cut an input file into chunks without ever reading all of it.

Text inputs (CSV, JSON lines) are read in blocks of ``chunk_size`` bytes and cut
after the last newline, so a chunk holds whole lines; Parquet is read in record
batches of about ``chunk_size`` bytes. The cuts depend only on the file and the
options, so a resumed job cuts the same chunks again. With split type None the
whole file is one chunk and must fit in ``max_payload``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from tiffin.errors import BatchInputError, setting
from tiffin.jobs.batch.csvparse import count_fields
from tiffin.jobs.batch.messages import Chunk
from tiffin.jobs.batch.options import BatchOptions
from tiffin.jobs.batch.sources import InputFile

__all__ = ["PARQUET", "read_chunks"]

PARQUET = "application/x-parquet"
PARQUET_HINT = "pip install 'tiffin[parquet]' (pyarrow)"


def read_chunks(source: InputFile, number: int, options: BatchOptions) -> Iterator[Chunk]:
    """Yield the chunks of input ``number``, in order."""
    if source.content_type == PARQUET:
        yield from _parquet_chunks(source, number, options)
        return
    with source.open() as stream:
        if options.split_type == "None":
            yield _whole_file(stream, source, number, options.max_payload)
            return
        first_line, columns = 1, 0
        for index, block in enumerate(_line_blocks(stream, source, options)):
            if not columns and source.content_type == "text/csv":
                columns = _first_record_fields(block)
            yield Chunk(number, index, first_line, block, len(block), columns)
            first_line += block.count(b"\n")


def _whole_file(stream: BinaryIO, source: InputFile, number: int, limit: int) -> Chunk:
    data = stream.read(limit + 1)
    _check_whole_size(source, limit, len(data))
    return Chunk(number, 0, 1, data, len(data))


def _check_whole_size(source: InputFile, limit: int, size: int | None = None) -> None:
    if (source.size if size is None else size) > limit:
        raise BatchInputError(
            f"{source.name} is larger than {setting('max_payload')} ({limit:,} bytes) and "
            "{=split_type} None sends a whole file as one request",
            hint="use {=split_type} Line, or raise {=max_payload}",
        )


def _line_blocks(stream: BinaryIO, source: InputFile, options: BatchOptions) -> Iterator[bytes]:
    """Blocks of whole lines of about ``chunk_size`` bytes; the last may lack a newline."""
    carry = b""
    line = 1
    while True:
        block = stream.read(options.chunk_size)
        if not block:
            break
        data = carry + block if carry else block
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            carry = data
            _check_record_size(carry, source, line, options.max_payload)
            continue
        carry = data[cut:]
        piece = data[:cut] if carry else data
        line += piece.count(b"\n")
        yield piece
    if carry:
        _check_record_size(carry, source, line, options.max_payload)
        yield carry


def _first_record_fields(block: bytes) -> int:
    """The field count of the first non-blank line of a block (0 if all are blank)."""
    for line in block.split(b"\n", 64):
        line = line.rstrip(b"\r")
        if line:
            return count_fields(line)
    return 0


def _check_record_size(pending: bytes, source: InputFile, line: int, limit: int) -> None:
    if len(pending) > limit:
        raise BatchInputError(
            f"{source.name}:{line}: the record is larger than {setting('max_payload')} "
            f"({limit:,} bytes)",
            hint="raise {=max_payload}; a single record must fit in one request",
        )


def _parquet_chunks(source: InputFile, number: int, options: BatchOptions) -> Iterator[Chunk]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise BatchInputError(f"reading {source.name} needs pyarrow", hint=PARQUET_HINT) from None
    with source.open() as stream:
        try:
            parquet = pq.ParquetFile(stream)
        except Exception as exc:
            raise BatchInputError(f"{source.name} is not a readable Parquet file: {exc}") from exc
        total = parquet.metadata.num_rows
        if options.split_type == "None":
            _check_whole_size(source, options.max_payload)
            table = parquet.read()
            yield Chunk(number, 0, 1, table, source.size)
            return
        rows = _rows_per_chunk(parquet, options.chunk_size)
        first = 1
        for index, batch in enumerate(parquet.iter_batches(batch_size=rows)):
            weight = source.size * batch.num_rows // max(total, 1)
            yield Chunk(number, index, first, batch, weight)
            first += batch.num_rows


def _rows_per_chunk(parquet: object, chunk_size: int) -> int:
    """Rows of about ``chunk_size`` uncompressed bytes, from the first row group's size."""
    metadata = parquet.metadata  # type: ignore[attr-defined]
    if metadata.num_row_groups == 0 or metadata.num_rows == 0:
        return 1024
    group = metadata.row_group(0)
    per_row = max(group.total_byte_size / max(group.num_rows, 1), 1.0)
    return max(1, int(chunk_size / per_row))
