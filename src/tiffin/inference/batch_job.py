"""One call on the model's thread that serves a whole batch of requests.

For the requests of one batch, in order: each request's ``preprocess`` (one that raises
fails that request only), then the predict calls (requests grouped by compatibility
key, each group cut into chunks of at most ``max_rows`` rows: one ``predict`` per
chunk, on the joined payloads, its result split back), then each request's
``postprocess``. If a joined ``predict`` raises, or its result cannot be split, every
request of that chunk is predicted on its own, so that only a bad one fails.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tiffin.inference.batch_payloads import BatchCodec, rows_of
from tiffin.metrics import Result, unwrap_result
from tiffin.model.handle import ModelHandle, Stage

logger = logging.getLogger("tiffin.server")

MAX_WARNINGS = 20
"""Distinct warnings about failed batches logged per worker; the rest only happen."""


class Item(Protocol):
    """One queued request as the job sees it."""

    payload: Any

    def dropped(self) -> bool:
        """True once the request has been answered (timed out, or its client went)."""
        ...


@dataclass
class Report:
    """What a job did: one ``(ok, value)`` per request (None for a dropped one), and the
    rows of every ``predict`` call it made."""

    outcomes: list[tuple[bool, Any] | None]
    sizes: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Ready:
    """A request past ``preprocess``: its position in the batch, payload and rows."""

    index: int
    payload: Any
    rows: int


class BatchJob:
    """Serves batches of the prediction pipeline for one model; called on its thread."""

    def __init__(self, handle: ModelHandle, codec: BatchCodec, max_rows: int) -> None:
        self.handle = handle
        self.codec = codec
        self.max_rows = max_rows
        self._warned: set[str] = set()

    def __call__(self, items: Sequence[Item], stages: Sequence[Stage]) -> Report:
        """Run ``stages`` (preprocess, predict, postprocess) for every live item."""
        pre = tuple(s for s in stages if s.name == "preprocess")
        predict = next(s for s in stages if s.name == "predict")
        post = tuple(s for s in stages if s.name == "postprocess")
        report = Report([None] * len(items))
        ready = self._preprocess(items, pre, report)
        predicted: list[_Ready] = []
        for chunk in self._chunks(ready):
            predicted += self._predict(chunk, predict, report)
        for item in predicted:
            report.outcomes[item.index] = self._stage(item.payload, post)
        return report

    def _stage(self, payload: Any, stages: tuple[Stage, ...]) -> tuple[bool, Any]:
        """Run ``stages`` on one request's payload: ``(True, value)`` or ``(False, error)``."""
        if not stages:
            return True, payload
        try:
            return True, self.handle.run_sync(payload, stages)
        except Exception as exc:  # already a TiffinError (PredictionFailed...) or a bug
            return False, exc

    def _preprocess(self, items: Sequence[Item], pre: tuple[Stage, ...],
                    report: Report) -> list[_Ready]:  # fmt: skip
        ready = []
        for index, item in enumerate(items):
            if item.dropped():
                continue
            ok, value = self._stage(item.payload, pre)
            if ok:
                ready.append(_Ready(index, value, rows_of(value)))
            else:
                report.outcomes[index] = (False, value)
        return ready

    def _chunks(self, ready: list[_Ready]) -> list[list[_Ready]]:
        """Group by compatibility key, in arrival order; cut groups at ``max_rows``. A
        request that is not batchable, or larger than ``max_rows`` alone, is its own chunk."""
        chunks: list[list[_Ready]] = []
        open_chunk: dict[Hashable, tuple[list[_Ready], list[int]]] = {}
        for item in ready:
            key = self.codec.key(item.payload)
            current = open_chunk.get(key) if key is not None else None
            if current is not None and current[1][0] + item.rows <= self.max_rows:
                current[0].append(item)
                current[1][0] += item.rows
                continue
            chunk = [item]
            chunks.append(chunk)
            if key is not None:
                open_chunk[key] = (chunk, [item.rows])
        return chunks

    def _predict(self, chunk: list[_Ready], predict: Stage, report: Report) -> list[_Ready]:
        """Predict one chunk; return its requests with their predictions as payloads.

        A failed request's outcome goes into ``report`` and it is left out.
        """
        if len(chunk) > 1:
            report.sizes.append(sum(r.rows for r in chunk))
            pieces = self._joined(chunk, predict)
            if pieces is not None:
                pairs = zip(chunk, pieces, strict=True)
                return [dataclasses.replace(r, payload=p) for r, p in pairs]
        done = []
        for item in chunk:
            report.sizes.append(item.rows)
            ok, value = self._stage(item.payload, (predict,))
            if ok:
                done.append(dataclasses.replace(item, payload=value))
            else:
                report.outcomes[item.index] = (False, value)
        return done

    def _joined(self, chunk: list[_Ready], predict: Stage) -> list[Any] | None:
        """One predict on the joined payloads, split per request; None if that failed."""
        sizes = [r.rows for r in chunk]
        try:
            batch = self.codec.concat([r.payload for r in chunk])
            return self._split(predict.func(batch), sizes)
        except Exception as exc:
            self._warn(type(exc).__name__, f"a batched predict of {len(chunk)} requests "
                       f"({sum(sizes)} rows) failed ({type(exc).__name__}: {exc}); they ran "
                       "one by one")  # fmt: skip
            return None

    def _split(self, value: Any, sizes: list[int]) -> list[Any]:
        """Split a predict result; a Result's metrics and rejections go with the first
        request only (recorded once), its topics with every request."""
        reported = _reported(value)
        if reported is None:
            return self.codec.cut(value, sizes)
        pieces = self.codec.cut(reported.output, sizes)
        first = dataclasses.replace(reported, output=pieces[0])
        rest = [dataclasses.replace(reported, output=p, metrics=(), rejected=())
                for p in pieces[1:]]  # fmt: skip
        return [first, *rest]

    def _warn(self, reason: str, message: str) -> None:
        """Log ``message`` the first time ``reason`` (an exception type) happens."""
        if reason in self._warned or len(self._warned) >= MAX_WARNINGS:
            return
        self._warned.add(reason)
        logger.warning("%s: %s (logged once per exception type)", self.handle.name, message)


def _reported(value: Any) -> Result | None:
    """``value`` as a Result if it reports metrics or topics (a Result, or an
    ``(output, [metrics])`` pair); None for a plain output."""
    if isinstance(value, Result):
        return value
    if isinstance(value, tuple):
        result = unwrap_result(value)
        return None if result.output is value else result
    return None
