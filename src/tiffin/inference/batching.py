"""Adaptive batching: requests arriving together, over any protocol, share one ``predict``.

:class:`BatchingRunner` wraps the runner a model would otherwise get
(:mod:`tiffin.inference.runners`). Each prediction request joins a queue, grouped by
compatibility (:mod:`tiffin.inference.batch_payloads`); a collector task takes the oldest
request's group as soon as it holds ``max_batch_size`` rows or the oldest request has
waited ``max_latency`` seconds, and hands the batch to the wrapped runner as ONE call
(:class:`~tiffin.inference.batch_job.BatchJob`), on the model thread or in the pool. At
most ``threads`` batches run at once; requests keep queueing meanwhile, so the busier the
model, the fuller the batches.

Every request keeps its own timeout, counted from its arrival: one that is still queued
or whose batch is still running when it expires answers 504 and is dropped; the others
go on. Feedback, custom endpoints and payloads that cannot be batched (with no
``preprocess`` that could make them so) go straight to the wrapped runner.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from tiffin.errors import ContractError, ModelNotReady, PredictionTimeout
from tiffin.inference.batch_job import BatchJob, Report
from tiffin.inference.batch_payloads import BatchCodec, batch_key, codec_for, rows_of
from tiffin.model.contract import PIPELINE_STAGES, describe
from tiffin.model.handle import ModelHandle, Stage, Stages

if TYPE_CHECKING:
    from tiffin.inference.runners import Runner

__all__ = ["BatchObserver", "BatchOptions", "BatchingRunner", "with_batching"]

logger = logging.getLogger("tiffin.server")


@dataclass(frozen=True)
class BatchOptions:
    """The server's batching settings, and whether the spec says the model accepts batches."""

    max_batch_size: int = 1
    """Most rows one predict call receives; 1: no batching."""
    max_latency: float = 0.0
    """Seconds the oldest queued request waits for others before its batch runs anyway."""
    model_accepts: bool = False
    """The spec's ``batching: true``."""


class BatchObserver(Protocol):
    """Where batch sizes and queue waits are recorded (the server's Prometheus metrics)."""

    def batch(self, rows: int) -> None:
        """One predict call of ``rows`` rows."""

    def waited(self, seconds: float) -> None:
        """One request spent ``seconds`` queued before its batch started."""


class _Request:
    """One queued prediction request."""

    __slots__ = ("arrived", "future", "payload", "rows", "stages")

    def __init__(self, payload: Any, stages: Stages | None, future: asyncio.Future[Any],
                 arrived: float, rows: int) -> None:  # fmt: skip
        self.payload = payload
        self.stages = stages
        self.future = future
        self.arrived = arrived
        self.rows = rows

    def dropped(self) -> bool:
        """True once answered: timed out, or its client went away."""
        return self.future.done()


class _Group:
    """The queued requests of one compatibility key, oldest first."""

    __slots__ = ("queue", "rows")

    def __init__(self) -> None:
        self.queue: deque[_Request] = deque()
        self.rows = 0

    def head(self) -> _Request | None:
        """The oldest live request, discarding answered ones."""
        while self.queue and self.queue[0].dropped():
            self.rows -= self.queue.popleft().rows
        return self.queue[0] if self.queue else None

    def take(self, max_rows: int) -> list[_Request]:
        """The oldest live requests that fit in ``max_rows`` rows, the oldest one whatever
        its size; those that do not fit stay queued, in order, for the next batch."""
        batch: list[_Request] = []
        kept: deque[_Request] = deque()
        rows = 0
        while self.queue and rows < max_rows:
            request = self.queue.popleft()
            if request.dropped():
                self.rows -= request.rows
            elif not batch or rows + request.rows <= max_rows:
                self.rows -= request.rows
                batch.append(request)
                rows += request.rows
            else:
                kept.append(request)
        kept.extend(self.queue)
        self.queue = kept
        return batch


def _settle(future: asyncio.Future[Any], ok: bool, outcome: Any) -> None:
    if future.done():
        return
    if ok:
        future.set_result(outcome)
    else:
        future.set_exception(outcome)


class BatchingRunner:
    """Gather prediction requests into batches; run each batch as one call of ``inner``."""

    def __init__(
        self,
        inner: Runner,
        handle: ModelHandle,
        codec: BatchCodec,
        options: BatchOptions,
        *,
        timeout: float,
        concurrency: int = 1,
        observer: BatchObserver | None = None,
    ) -> None:
        self.inner = inner
        self.handle = handle
        self.codec = codec
        self.max_rows = options.max_batch_size
        self.max_latency = options.max_latency
        self.timeout = timeout
        self.observer = observer
        self._job = BatchJob(handle, codec, self.max_rows)
        self._grouped_late = codec.custom or any(s.name == "preprocess" for s in handle.stages)
        self._loop = asyncio.get_running_loop()
        self._groups: dict[Hashable, _Group] = {}
        self._arrived = asyncio.Event()
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._running: set[asyncio.Task[None]] = set()
        self._collector = self._loop.create_task(self._collect())

    async def run(self, payload: Any, stages: Stages | None = None) -> Any:
        """Queue a prediction for the next batch; anything else runs on ``inner`` at once."""
        route = _route(stages)
        key = None if route is None else self._key(payload)
        if key is None:
            return await self.inner.run(payload, stages)
        request = _Request(payload, stages, self._loop.create_future(), self._loop.time(),
                           rows_of(payload))  # fmt: skip
        group = self._groups.get((route, key))
        if group is None:
            group = self._groups[(route, key)] = _Group()
        group.queue.append(request)
        group.rows += request.rows
        self._arrived.set()
        timer = self._loop.call_later(self.timeout, self._expire, request)
        try:
            return await request.future
        finally:
            timer.cancel()

    def _key(self, payload: Any) -> Hashable | None:
        """The queue's grouping: exact for payloads the model predicts as they come; one
        group when ``preprocess`` (or the model's own concat) shapes them first, as the
        job then groups what preprocess returns."""
        return () if self._grouped_late else batch_key(payload)

    def _expire(self, request: _Request) -> None:
        _settle(request.future, False, PredictionTimeout(self.handle.name, self.timeout))

    # -- the collector -----------------------------------------------------------------------

    async def _collect(self) -> None:
        """Form batches forever, at most ``concurrency`` of them running at once."""
        while True:
            await self._slots.acquire()
            batch = await self._next_batch()
            task = self._loop.create_task(self._execute(batch))
            self._running.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._slots.release()

    async def _next_batch(self) -> list[_Request]:
        """Wait for the oldest group to fill up or for its oldest request's latency budget
        to run out; take it."""
        while True:
            found = self._oldest()
            if found is None:
                await self._wait(None)
                continue
            group, head = found
            remaining = head.arrived + self.max_latency - self._loop.time()
            if group.rows >= self.max_rows or remaining <= 0:
                batch = group.take(self.max_rows)
                if batch:
                    self._record_waits(batch)
                    return batch
                continue
            await self._wait(remaining)

    def _oldest(self) -> tuple[_Group, _Request] | None:
        """The group whose oldest live request arrived first; empty groups are removed."""
        best: tuple[_Group, _Request] | None = None
        for key in list(self._groups):
            group = self._groups[key]
            head = group.head()
            if head is None:
                del self._groups[key]
            elif best is None or head.arrived < best[1].arrived:
                best = (group, head)
        return best

    async def _wait(self, timeout: float | None) -> None:
        """Until a request arrives, or ``timeout`` seconds."""
        self._arrived.clear()
        alarm = None if timeout is None else self._loop.call_later(timeout, self._arrived.set)
        try:
            await self._arrived.wait()
        finally:
            if alarm is not None:
                alarm.cancel()

    def _record_waits(self, batch: Iterable[_Request]) -> None:
        if self.observer is not None:
            now = self._loop.time()
            for request in batch:
                self.observer.waited(now - request.arrived)

    async def _execute(self, batch: list[_Request]) -> None:
        """Run ``batch`` as one call of the wrapped runner; answer each request."""
        stages = batch[0].stages or self.handle.stages
        job = Stage("batch", functools.partial(self._job, stages=stages), False)
        try:
            report: Report = await self.inner.run(batch, (job,))
        except Exception as exc:  # the whole call timed out, the worker is wedged, a bug
            for request in batch:
                _settle(request.future, False, exc)
            return
        for request, outcome in zip(batch, report.outcomes, strict=True):
            if outcome is not None:
                _settle(request.future, *outcome)
        if self.observer is not None:
            for rows in report.sizes:
                self.observer.batch(rows)

    def close(self) -> None:
        """Stop collecting; queued requests answer 503; release the wrapped runner."""
        self._collector.cancel()
        for group in self._groups.values():
            for request in group.queue:
                _settle(request.future, False, ModelNotReady(self.handle.name))
        self._groups.clear()
        self.inner.close()


def _route(stages: Stages | None) -> Hashable | None:
    """What requests must share to run one pipeline: the feature names bound to a predict
    that takes them. None for stages that are not the prediction pipeline (feedback, an
    endpoint)."""
    if stages is None:
        return ()
    names = {stage.name for stage in stages}
    if "predict" not in names or not names <= set(PIPELINE_STAGES):
        return None
    predict = next(stage for stage in stages if stage.name == "predict")
    bound = getattr(predict.func, "keywords", None) or {}
    return tuple(sorted((name, _frozen(value)) for name, value in bound.items()))


def _frozen(value: Any) -> Hashable:
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)


def accepts_batches(handle: ModelHandle, options: BatchOptions) -> bool:
    """True when the spec (``batching: true``) or the model (``batching = True``, or its
    own ``concat_inputs``/``split_outputs``) says it takes batched inputs."""
    instance = handle.instance
    hooks = any(hasattr(instance, name) for name in ("concat_inputs", "split_outputs"))
    return options.model_accepts or getattr(instance, "batching", None) is True or hooks


def with_batching(
    runner: Runner,
    handle: ModelHandle,
    options: BatchOptions | None,
    *,
    timeout: float,
    threads: int = 1,
    observer: BatchObserver | None = None,
) -> Runner:
    """``runner`` wrapped in a :class:`BatchingRunner` when the settings ask for batches and
    the model accepts them; ``runner`` itself otherwise.

    Raises ContractError for a model that accepts batches but has an async pipeline stage,
    or batching hooks of the wrong shape.
    """
    if options is None or options.max_batch_size <= 1:
        return runner
    if not accepts_batches(handle, options):
        logger.warning(
            "max_batch_size is %d but %s does not accept batches: each request is predicted "
            "on its own (set `batching: true` in its spec, or `batching = True` on its class)",
            options.max_batch_size,
            handle.name,
        )
        return runner
    for stage in handle.stages:
        if stage.is_async:
            raise ContractError(
                f"{describe(stage.func, type(handle.instance).__qualname__)} is async, and "
                "tiffin batches only sync pipelines",
                hint="make preprocess/predict/postprocess plain methods, or set "
                "max_batch_size to 1 and batch inside the async model",
            )
    codec = codec_for(handle.instance)
    logger.info("%s: batching up to %d rows per predict, waiting up to %g ms for a batch",
                handle.name, options.max_batch_size, options.max_latency * 1000)  # fmt: skip
    return BatchingRunner(runner, handle, codec, options, timeout=timeout, concurrency=threads,
                          observer=observer)  # fmt: skip
