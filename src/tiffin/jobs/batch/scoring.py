"""Score the records of a chunk in mini-batches, under the job's error policy.

MultiRecord packs as many records as fit in ``max_payload`` bytes into one
call; SingleRecord makes one call per record. When a call fails, the batch is
split in halves and each half retried, down to single records, so the failing
records are found and the others still scored. Under ``fail`` the first
failing record stops the chunk, naming its line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tiffin.errors import TiffinError, setting
from tiffin.jobs.batch.options import BatchOptions
from tiffin.jobs.batch.outputs import split_result
from tiffin.jobs.batch.predictors import Predictor
from tiffin.jobs.batch.records import Records

__all__ = ["MISSING", "RecordStop", "RecordTooLarge", "Scored", "Scorer"]

MISSING: Any = object()
"""The result of a record that failed."""


class RecordStop(Exception):
    """A record failed under ``--on-error fail``: where, and why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class RecordTooLarge(Exception):
    """A record does not fit in ``--max-payload``: always an error, as in SageMaker."""

    def __init__(self, line: int, limit: int) -> None:
        super().__init__(f"the record is larger than {setting('max_payload')} ({limit:,} bytes)")
        self.line = line
        self.message = str(self)
        self.hint = "raise {=max_payload}; a single record must fit in one request"


@dataclass
class Scored:
    """The scored mini-batches, in record order, and the records that failed.

    Each batch is ``(positions, results, response)``: the records' positions in the
    chunk, one result per record (an array or a list), and the raw model response.
    """

    count: int
    errors: dict[int, str]
    batches: list[tuple[Sequence[int], Sequence[Any], Any]] = field(default_factory=list)

    def items(self) -> list[Any]:
        """One plain result per record; MISSING where the record failed."""
        items = [MISSING] * self.count
        for positions, results, _ in self.batches:
            plain = results.tolist() if isinstance(results, np.ndarray) else results
            for position, item in zip(positions, plain, strict=True):
                items[position] = item
        return items

    def responses(self) -> list[Any]:
        """The raw response of every mini-batch, in order."""
        return [response for _, _, response in self.batches]


class Scorer:
    """Runs records through a predictor in mini-batches, isolating failing records."""

    def __init__(self, predictor: Predictor, options: BatchOptions, whole_file: bool) -> None:
        self.predictor = predictor
        self.options = options
        self.whole_file = whole_file

    def score(self, records: Records) -> Scored:
        """Score every readable record of ``records``."""
        scored = Scored(records.count, dict(records.errors))
        if scored.errors and self.options.on_error == "fail":
            first = min(scored.errors)
            raise RecordStop(records.line(first), scored.errors[first])
        good: Sequence[int] = range(records.count)
        if scored.errors:
            good = [p for p in good if p not in scored.errors]
        for batch in self._batches(good, records):
            self._run(records, batch, scored)
        return scored

    def _batches(self, good: Sequence[int], records: Records) -> Iterator[Sequence[int]]:
        if not good:
            return
        if self.whole_file:
            yield from ([p] for p in good)
            return
        limit = self.options.max_payload
        if records.total_size <= limit and self.options.batch_strategy == "MultiRecord":
            yield good
            return
        sizes = records.sizes()
        batch: list[int] = []
        used = 0
        for position in good:
            if sizes[position] > limit:
                raise RecordTooLarge(records.line(position), limit)
            if self.options.batch_strategy == "SingleRecord":
                yield [position]
                continue
            if batch and used + sizes[position] > limit:
                yield batch
                batch, used = [], 0
            batch.append(position)
            used += sizes[position]
        if batch:
            yield batch

    def _run(self, records: Records, positions: Sequence[int], scored: Scored) -> None:
        try:
            result = self._call(records, positions)
        except Exception as exc:
            if len(positions) == 1:
                self._failed(records, positions[0], exc, scored)
                return
            middle = len(positions) // 2
            self._run(records, positions[:middle], scored)
            self._run(records, positions[middle:], scored)
            return
        items = [result] if self.whole_file else split_result(result, len(positions))
        scored.batches.append((positions, items, result))

    def _call(self, records: Records, positions: Sequence[int]) -> Any:
        chosen = None if len(positions) == records.count else positions
        if self.predictor.wants_values:
            return self.predictor.call(records.values(chosen))
        return self.predictor.call(records.payload(chosen))

    def _failed(self, records: Records, position: int, exc: Exception, scored: Scored) -> None:
        message = exc.message if isinstance(exc, TiffinError) else f"{type(exc).__name__}: {exc}"
        if self.options.on_error == "fail":
            raise RecordStop(records.line(position), message) from exc
        scored.errors[position] = message
