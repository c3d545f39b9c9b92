"""The work done for one chunk, wherever it runs: parse, score, encode.

:func:`process_chunk` is a pure function of a picklable :class:`BatchJob` and
a :class:`Chunk`; it loads the scorer once per process and returns a
:class:`ChunkResult` holding the bytes of the chunk's output part. It never
raises for a failing chunk: the failure travels back as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tiffin.jobs.batch.messages import Chunk, ChunkResult, Failure
from tiffin.jobs.batch.options import BatchOptions
from tiffin.jobs.batch.outputs import LineEncoder
from tiffin.jobs.batch.predictors import Predictor, load_predictor
from tiffin.jobs.batch.records import Records, records_of
from tiffin.jobs.batch.scoring import MISSING, RecordStop, RecordTooLarge, Scored, Scorer

__all__ = ["BatchJob", "FileInfo", "process_chunk"]

_PREDICTORS: dict[str, Predictor] = {}
"""The scorer loaded in this process, by job key: each worker loads it once."""


@dataclass(frozen=True)
class FileInfo:
    """What a worker needs to know of an input file."""

    name: str
    content_type: str


@dataclass(frozen=True)
class BatchJob:
    """Everything needed to process any chunk of a job, in any process."""

    key: str
    package: str
    files: tuple[FileInfo, ...]
    options: BatchOptions

    def process(self, chunk: Chunk) -> ChunkResult:
        """Process one chunk (see :func:`process_chunk`)."""
        return process_chunk(self, chunk)


def process_chunk(job: BatchJob, chunk: Chunk) -> ChunkResult:
    """Score one chunk and return its output part, or the reason it failed."""
    load_seconds = None
    whole = job.options.split_type == "None"
    try:
        content_type = job.files[chunk.file].content_type
        records = records_of(chunk, content_type, whole, chunk.columns)
        predictor = _PREDICTORS.get(job.key)
        if predictor is None:
            _PREDICTORS.clear()  # hold one model per process, not one per job ever run
            predictor = _PREDICTORS[job.key] = load_predictor(job.package)
            load_seconds = predictor.load_seconds
        scored = Scorer(predictor, job.options, whole).score(records)
        body = compose(records, scored, job.options)
    except Exception as exc:
        failure = _failure_of(exc)
        return ChunkResult(chunk.file, chunk.index, failure=failure, load_seconds=load_seconds)
    return _result(chunk, records, scored, body, job.options, load_seconds)


def _failure_of(exc: Exception) -> Failure:
    if isinstance(exc, RecordStop):
        return Failure("RecordFailed", exc.message, line=exc.line)
    if isinstance(exc, RecordTooLarge):
        return Failure("BatchInputError", exc.message, exc.hint, exc.line)
    return Failure.of(exc)


def _result(
    chunk: Chunk, records: Records, scored: Scored, body: bytes, options: BatchOptions,
    load_seconds: float | None,
) -> ChunkResult:  # fmt: skip
    failed = len(scored.errors)
    errors = []
    if options.on_error == "record":
        errors = [{"record": p, records.label: records.line(p), "error": scored.errors[p]}
                  for p in sorted(scored.errors)]  # fmt: skip
    return ChunkResult(
        chunk.file, chunk.index, body, records=records.count, written=records.count - failed,
        skipped=failed if options.on_error == "skip" else 0, errors=errors,
        load_seconds=load_seconds,
    )  # fmt: skip


def compose(records: Records, scored: Scored, options: BatchOptions) -> bytes:
    """The bytes of a chunk's output part."""
    if options.split_type == "None" or options.assemble_with == "None":
        return _responses(scored.responses(), options)
    encoder = LineEncoder(options.accept, options.join_source == "Input")
    if not scored.errors and not encoder.join:
        return b"".join(encoder.body(results) for _, results, _ in scored.batches)
    items = scored.items()
    ok = [p for p, item in enumerate(items) if item is not MISSING]
    encoded = dict(zip(ok, encoder.lines([items[p] for p in ok]), strict=True))
    lines = []
    for position, item in enumerate(items):
        if item is MISSING and options.on_error != "record":
            continue
        if encoder.join:
            record, raw = records.join_value(position), records.raw(position)
            lines.append(encoder.joined(record, raw, item, item is not MISSING))
        else:
            lines.append(encoded.get(position, encoder.placeholder()))
    return _lines(lines)


def _lines(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n" if lines else b""


def _responses(responses: list[Any], options: BatchOptions) -> bytes:
    """Each mini-batch's response as the server would encode it, back to back."""
    from tiffin.codecs import encoder_for

    encoder = encoder_for(options.accept)
    parts = [encoder.encode(response) for response in responses]
    if options.assemble_with == "Line":
        parts = [part if part.endswith(b"\n") else part + b"\n" for part in parts]
    return b"".join(parts)
