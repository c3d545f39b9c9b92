"""Part files: one per finished chunk, written atomically, assembled into ``.out`` files.

A part is written to a temporary name and renamed into place, so a part that
exists is complete: that rename is the commit point of a chunk. Its first line
is a JSON header with the chunk's counts and record errors; the rest is its
output bytes. Once every chunk of an input is done, its parts are copied in
order into ``<input>.out`` (and ``<input>.errors.jsonl``), again through a
temporary file and a rename.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from tiffin.jobs.batch.messages import ChunkResult

__all__ = ["FileTotals", "PartStore", "atomic_file"]


@dataclass
class FileTotals:
    """Counts of one input (or of a whole job)."""

    records: int = 0
    written: int = 0
    skipped: int = 0
    errors: int = 0

    def add(self, other: FileTotals) -> None:
        """Add another set of counts to these."""
        self.records += other.records
        self.written += other.written
        self.skipped += other.skipped
        self.errors += other.errors


class PartStore:
    """The part files of a job, under ``<state dir>/parts/<input number>/``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, file: int) -> Path:
        """Where the parts of input number ``file`` live."""
        return self.root / f"{file:05d}"

    def path(self, file: int, index: int) -> Path:
        """The part file of chunk ``index`` of input ``file``."""
        return self.folder(file) / f"{index:08d}.part"

    def finished(self, file: int) -> dict[int, FileTotals]:
        """The chunks of an input whose part exists, with their counts."""
        folder = self.folder(file)
        if not folder.is_dir():
            return {}
        found = {}
        for path in folder.glob("*.part"):
            header = _read_header(path)
            if header is None:  # torn by a power cut (parts are not fsynced): redo it
                path.unlink()
                continue
            found[int(path.stem)] = _totals(header)
        return found

    def write(self, result: ChunkResult) -> FileTotals:
        """Commit a chunk: write its part atomically; return its counts."""
        header = {"records": result.records, "written": result.written, "skipped": result.skipped,
                  "bytes": len(result.body), "errors": result.errors}  # fmt: skip
        target = self.path(result.file, result.index)
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(target, durable=False) as out:
            out.write(orjson.dumps(header) + b"\n")
            out.write(result.body)
        return _totals(header)

    def assemble(self, file: int, chunks: int, output: Path, errors_path: Path) -> FileTotals:
        """Copy the parts of an input, in order, into its output (and errors) file."""
        totals = FileTotals()
        output.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(output) as out, atomic_file(errors_path) as errors:
            for index in range(chunks):
                with self.path(file, index).open("rb") as part:
                    header = orjson.loads(part.readline())
                    shutil.copyfileobj(part, out, 1 << 20)
                _write_errors(errors, header["errors"], totals.records)
                totals.add(_totals(header))
        if not totals.errors:
            errors_path.unlink(missing_ok=True)
        return totals

    def discard(self, file: int) -> None:
        """Remove the parts of an input once its output is assembled."""
        shutil.rmtree(self.folder(file), ignore_errors=True)

    def clean_temporary(self) -> None:
        """Remove half-written parts left behind by a killed run."""
        if self.root.is_dir():
            for path in self.root.glob("*/*.tmp-*"):
                path.unlink(missing_ok=True)


@contextmanager
def atomic_file(target: Path, durable: bool = True) -> Iterator[BinaryIO]:
    """Write ``target`` through a temporary file renamed into place once complete.

    ``durable`` also flushes it to disk first, so it survives a power cut, not only a
    killed process.
    """
    temporary = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    try:
        with temporary.open("wb") as out:
            yield out
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _write_errors(out: BinaryIO, errors: list[dict[str, Any]], offset: int) -> None:
    for entry in errors:
        entry = {**entry, "record": offset + entry["record"]}
        out.write(orjson.dumps(entry) + b"\n")


def _read_header(path: Path) -> dict[str, Any] | None:
    """A part's header, or None if the part is not whole."""
    with path.open("rb") as part:
        first = part.readline()
    try:
        header = orjson.loads(first)
    except orjson.JSONDecodeError:
        return None
    whole = path.stat().st_size == len(first) + header.get("bytes", -1)
    return header if whole else None


def _totals(header: dict[str, Any]) -> FileTotals:
    return FileTotals(header["records"], header["written"], header["skipped"],
                      len(header["errors"]))  # fmt: skip
