"""Run a batch job: find the inputs, claim the output dir, feed an engine, commit results.

The runner reads each input in chunks, skips the chunks a previous run already
committed, hands the rest to the engine, writes each result as a part file, and
assembles ``<input>.out`` once every chunk of an input is in. On a failing
record (``--on-error fail``) it stops feeding the engine, lets in-flight chunks
finish and commit, then raises: a rerun resumes from there.
"""

from __future__ import annotations

import os
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tiffin.errors import BatchError, BatchInputError, TiffinError, setting
from tiffin.jobs.batch.executors import executor_for
from tiffin.jobs.batch.manifest import STATE_DIR, JobManifest, job_lock, package_identity
from tiffin.jobs.batch.messages import ChunkResult, Failure
from tiffin.jobs.batch.options import BatchOptions
from tiffin.jobs.batch.parts import FileTotals, PartStore
from tiffin.jobs.batch.predictors import check_package
from tiffin.jobs.batch.progress import BatchProgress, make_progress
from tiffin.jobs.batch.readers import PARQUET, read_chunks
from tiffin.jobs.batch.sources import InputFile, find_inputs
from tiffin.jobs.batch.worker import BatchJob, FileInfo

__all__ = ["BatchSummary", "run_batch"]

LINE_TYPES = ("text/csv", "application/jsonlines", PARQUET)


@dataclass(frozen=True)
class BatchSummary:
    """What a batch job did. ``resumed`` records were scored by an earlier run."""

    output: Path
    outputs: tuple[Path, ...]
    records: int
    written: int
    skipped: int
    errors: int
    resumed: int
    elapsed: float
    load_seconds: float | None

    @property
    def rows_per_second(self) -> float:
        """Records scored by this run per second of its wall time."""
        return (self.records - self.resumed) / self.elapsed if self.elapsed > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view, for ``tiffin batch --json``."""
        data = {key: getattr(self, key) for key in self.__dataclass_fields__}
        data.update(output=str(self.output), outputs=[str(path) for path in self.outputs],
                    rows_per_second=round(self.rows_per_second, 1))  # fmt: skip
        return data


def run_batch(
    package: str | os.PathLike[str] = ".",
    input: str | os.PathLike[str] = ".",
    output: str | os.PathLike[str] = "batch-output",
    *,
    restart: bool = False,
    **options: Any,
) -> BatchSummary:
    """Score every record of ``input`` with the package's model into ``output``.

    ``options`` are the fields of :class:`BatchOptions` (``split_type``,
    ``batch_strategy``, ``max_payload``, ``accept``, ``join_source``, ``on_error``,
    ``workers``...). Rerunning the same call after a crash resumes it; ``restart``
    discards a previous job's state in ``output`` instead.
    """
    started = time.monotonic()
    settings = BatchOptions.build(**options)
    target = Path(output)
    inputs = find_inputs(str(input), content_type=settings.content_type,
                         recursive=settings.recursive, exclude=target)  # fmt: skip
    _check_inputs(inputs, settings)
    check_package(str(package))
    local_inputs = [Path(item.location) for item in inputs if not item.remote]
    identity = {
        "inputs": [item.identity() for item in inputs],
        "model": package_identity(str(package), [target, *local_inputs]),
        "options": settings.job_fields(),
    }
    with job_lock(target):
        manifest = JobManifest(target, identity)
        manifest.open([_out_path(target, item) for item in inputs], restart)
        files = tuple(FileInfo(item.name, item.content_type) for item in inputs)
        job = BatchJob(manifest.fingerprint.hexdigest(), str(package), files, settings)
        return JobRun(job, inputs, manifest, make_progress(settings.progress), started).execute()


@dataclass
class FileState:
    """BatchProgress of one input: its committed chunks, and its chunk count once known."""

    done: dict[int, FileTotals] = field(default_factory=dict)
    chunks: int | None = None


class JobRun:
    """One run of a job over the inputs its manifest does not list as complete."""

    def __init__(self, job: BatchJob, inputs: list[InputFile], manifest: JobManifest,
                 progress: BatchProgress, started: float) -> None:  # fmt: skip
        self.job = job
        self.inputs = inputs
        self.manifest = manifest
        self.progress = progress
        self.started = started
        self.parts = PartStore(manifest.output / STATE_DIR / "parts")
        self.states: dict[int, FileState] = {}
        self.weights: dict[tuple[int, int], int] = {}
        self.failures: list[tuple[int, int, Failure]] = []
        self.totals = FileTotals()
        self.resumed = 0
        self.load_seconds: float | None = None

    def execute(self) -> BatchSummary:
        """Process what is left, assemble outputs, and sum up."""
        self.parts.clean_temporary()
        self._restore()
        engine = executor_for(self.job.options)
        try:
            with closing(engine.run(self.job, self._chunks())) as results:
                for result in results:
                    self._accept(result)
        finally:
            self.progress.finish()
        if self.failures:
            file, _, failure = min(self.failures, key=lambda item: item[:2])
            raise failure.to_error(self.inputs[file].name)
        return self._summary()

    def _restore(self) -> None:
        """Count what earlier runs finished: complete inputs and committed chunks."""
        done_bytes = 0
        for number, item in enumerate(self.inputs):
            if self.manifest.is_complete(item.name):
                self.totals.add(self.manifest.totals(item.name))
                done_bytes += item.size
                continue
            state = self.states[number] = FileState(self.parts.finished(number))
            for totals in state.done.values():
                self.totals.add(totals)
        self.resumed = self.totals.records
        total_bytes = sum(item.size for item in self.inputs)
        self.progress.start(total_bytes, done_bytes, self.resumed)

    def _chunks(self) -> Any:
        """The chunks still to process, input by input; stops early after a failure."""
        for number, state in self.states.items():
            count = 0
            for chunk in read_chunks(self.inputs[number], number, self.job.options):
                if self.failures:
                    return
                count += 1
                if chunk.index in state.done:
                    self.progress.advance(chunk.weight, 0, fresh=False)
                    continue
                self.weights[chunk.file, chunk.index] = chunk.weight
                yield chunk
            state.chunks = count
            self._finish_if_done(number)

    def _accept(self, result: ChunkResult) -> None:
        if result.load_seconds is not None:
            self.load_seconds = max(self.load_seconds or 0.0, result.load_seconds)
        weight = self.weights.pop((result.file, result.index), 0)
        if result.failure is not None:
            self.failures.append((result.file, result.index, result.failure))
            return
        totals = self.parts.write(result)
        self.states[result.file].done[result.index] = totals
        self.totals.add(totals)
        self.progress.advance(weight, totals.records)
        self._finish_if_done(result.file)

    def _finish_if_done(self, number: int) -> None:
        state = self.states[number]
        if state.chunks is None or len(state.done) < state.chunks:
            return
        item = self.inputs[number]
        output = _out_path(self.manifest.output, item)
        errors = output.with_name(output.name[: -len(".out")] + ".errors.jsonl")
        totals = self.parts.assemble(number, state.chunks, output, errors)
        self.manifest.complete(item.name, totals)
        self.parts.discard(number)

    def _summary(self) -> BatchSummary:
        output = self.manifest.output
        return BatchSummary(
            output, tuple(_out_path(output, item) for item in self.inputs),
            self.totals.records, self.totals.written, self.totals.skipped, self.totals.errors,
            self.resumed, time.monotonic() - self.started, self.load_seconds,
        )  # fmt: skip


def _out_path(output: Path, item: InputFile) -> Path:
    return output / f"{item.name}.out"


def _check_inputs(inputs: list[InputFile], options: BatchOptions) -> None:
    """Refuse, before any work, inputs this job cannot read or outputs it cannot write."""
    for item in inputs:
        if options.split_type == "Line" and item.content_type not in LINE_TYPES:
            raise BatchInputError(
                f"{item.name} is {item.content_type}; {setting('split_type')} Line reads "
                f"{', '.join(LINE_TYPES)}",
                hint="pass {=split_type} None to send each file whole, or {=content_type}",
            )
        if item.content_type == PARQUET:
            _require_pyarrow(item)
        elif options.split_type == "None":
            _require_codec(item.content_type, decode=True)
    if options.split_type == "None" or options.assemble_with == "None":
        _require_codec(options.accept, decode=False)


def _require_pyarrow(item: InputFile) -> None:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise BatchInputError(f"reading {item.name} needs pyarrow",
                              hint="pip install 'tiffin[parquet]'") from None  # fmt: skip


def _require_codec(media_type: str, decode: bool) -> None:
    from tiffin.codecs import decoder_for, encoder_for

    try:
        decoder_for(media_type) if decode else encoder_for(media_type)
    except TiffinError as exc:
        flag = "{=content_type}" if decode else "{=accept}"
        raise BatchError(f"{flag}: {exc.message}") from exc
