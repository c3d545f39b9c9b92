"""The sink's loop: read a batch, store its rows in one transaction, then commit offsets.

At-least-once, without duplicates: offsets are committed only after the rows are
committed, and rows are inserted idempotently, so a sink killed at any moment and
started again stores every metric exactly once. SIGTERM or SIGINT ends the loop after
the batch in hand is stored and committed. A database or broker that cannot be reached
is said once and retried with backoff; only a fatal setting raises
:class:`~tiffin.errors.SinkError`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from tiffin.sink.consumer import MetricsConsumer
from tiffin.sink.database import MetricsTable, Unavailable
from tiffin.sink.progress import SinkProgress, SinkSummary
from tiffin.sink.rows import MalformedEvent, MetricRow, rows_of
from tiffin.sink.settings import SinkSettings

__all__ = ["run_sink"]

log = logging.getLogger("tiffin.sink")

T = TypeVar("T")
MAX_BACKOFF = 10.0
LOGGED_MALFORMED = 20


def run_sink(
    settings: SinkSettings,
    *,
    progress: SinkProgress | None = None,
    stop: threading.Event | None = None,
) -> SinkSummary:
    """Store the metrics of the events on ``settings.topics`` until stopped.

    Stops on ``stop`` being set, or on SIGTERM/SIGINT when run in the main thread.
    """
    progress = progress or SinkProgress()
    stop = stop or threading.Event()
    try:
        with _stop_on_signals(stop):
            _run(settings, progress, stop)
    finally:
        summary = progress.finish()
    return summary


def _run(settings: SinkSettings, progress: SinkProgress, stop: threading.Event) -> None:
    """Connect to the database (retrying), then consume until ``stop``."""
    table = MetricsTable(settings.database, settings.table, settings.where)
    with contextlib.closing(table):
        if _retrying(table.open, stop, f"database {settings.where}") is None:
            return
        log.info("writing to table %s of %s (%s)", settings.table, settings.where,
                 "hypertable" if table.hypertable else "plain table")  # fmt: skip
        consumer = MetricsConsumer(settings)
        try:
            _consume(consumer, table, settings, progress, stop)
        finally:
            consumer.close()


def _consume(consumer: MetricsConsumer, table: MetricsTable, settings: SinkSettings,
             progress: SinkProgress, stop: threading.Event) -> None:  # fmt: skip
    """Batches until ``stop``: each one stored, then committed."""
    next_report = time.monotonic()
    while not stop.is_set():
        messages = consumer.poll(settings.batch_size, timeout=0.5)
        if messages:
            rows, malformed = _rows(messages, progress.summary.malformed)
            inserted = _retrying(functools.partial(table.insert, rows), stop,
                                 f"database {settings.where}")  # fmt: skip
            if inserted is None:
                log.info("stopped before the last batch was stored; it will be read again")
                return
            consumer.commit(messages)
            progress.add(len(messages), len(rows), inserted, malformed)
        if time.monotonic() >= next_report:
            progress.show(consumer.lag())
            next_report = time.monotonic() + (progress.interval or settings.report_every)


def _rows(messages: list[Any], seen_malformed: int) -> tuple[list[MetricRow], int]:
    """The rows of a batch, and how many of its events were malformed (logged, skipped)."""
    rows: list[MetricRow] = []
    malformed = 0
    for message in messages:
        try:
            rows.extend(rows_of(message.value()))
        except MalformedEvent as exc:
            malformed += 1
            count = seen_malformed + malformed
            if count <= LOGGED_MALFORMED:
                log.warning("skipping malformed event at %s[%d]@%d: %s", message.topic(),
                            message.partition(), message.offset(), exc)  # fmt: skip
            if count == LOGGED_MALFORMED:
                log.warning("further malformed events are counted, not logged")
    return rows, malformed


def _retrying(action: Callable[[], T], stop: threading.Event, what: str) -> T | None:
    """``action()``, retried with backoff while it raises :class:`Unavailable`; None if
    ``stop`` is set first. The first failure and the recovery are logged once each."""
    delay = 0.5
    failed = False
    while not stop.is_set():
        try:
            result = action()
        except Unavailable as exc:
            if not failed:
                log.warning("%s is unreachable (%s); retrying with backoff until it answers",
                            what, exc)  # fmt: skip
                failed = True
            stop.wait(delay)
            delay = min(delay * 2, MAX_BACKOFF)
            continue
        if failed:
            log.warning("%s is reachable again", what)
        return result
    return None


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGTERM or SIGINT while inside (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if not stop.is_set():
            log.info("%s: finishing the current batch, then stopping",
                     signal.Signals(signum).name)  # fmt: skip
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
