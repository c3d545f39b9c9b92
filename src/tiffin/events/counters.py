"""What became of the events: delivered, failed, dropped, still buffered.

Each count is kept twice: as a plain number (:class:`PublisherStats`, for logs and tests),
exact at any moment, and as a Prometheus metric, which under gunicorn is summed over the
workers. Dropped messages reach Prometheus at once; the counts every message changes
(buffered, delivered, failed) reach it in bulk, when the publisher's thread calls
:meth:`PublisherCounters.sync` after each batch (and on flush and close), which keeps
Prometheus' shared-memory writes off the path of each event:

- ``tiffin_events_delivered_total{topic}``: messages Kafka acknowledged,
- ``tiffin_events_failed_total{topic}``: messages Kafka did not take within the delivery
  timeout (or refused),
- ``tiffin_events_dropped_total{reason}``: messages never handed to Kafka: ``buffer_full``,
  ``invalid_topic``, ``closed`` (published after close), ``error`` (could not be encoded),
- ``tiffin_events_buffered``: messages waiting in memory or in flight.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from tiffin.metrics.prometheus import use_multiprocess_values

__all__ = ["DROP_REASONS", "PublisherCounters", "PublisherStats"]

DROP_REASONS = ("buffer_full", "invalid_topic", "closed", "error")


@dataclass(frozen=True)
class PublisherStats:
    """Messages (one per event and topic) by fate, since the publisher started."""

    delivered: int = 0
    failed: int = 0
    dropped: int = 0
    buffered: int = 0


class PublisherCounters:
    """The counts behind :class:`PublisherStats` and their Prometheus metrics."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        use_multiprocess_values()
        registry = registry if registry is not None else CollectorRegistry()
        self._delivered = Counter(
            "tiffin_events_delivered", "Event messages Kafka acknowledged, by topic.",
            ["topic"], registry=registry,
        )  # fmt: skip
        self._failed = Counter(
            "tiffin_events_failed",
            "Event messages Kafka did not take within the delivery timeout, by topic.",
            ["topic"], registry=registry,
        )  # fmt: skip
        self._dropped = Counter(
            "tiffin_events_dropped", "Event messages dropped before reaching Kafka, by reason.",
            ["reason"], registry=registry,
        )  # fmt: skip
        self._buffered = Gauge(
            "tiffin_events_buffered", "Event messages waiting in memory or in flight to Kafka.",
            multiprocess_mode="livesum", registry=registry,
        )  # fmt: skip
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._counts = {"delivered": 0, "failed": 0, "dropped": 0, "buffered": 0}
        self._reports: dict[tuple[str, bool], int] = {}
        """Delivery reports by topic and outcome since the last :meth:`sync`."""

    def reserve(self, messages: int, limit: int) -> bool:
        """Take room for ``messages`` in the buffer; False (and nothing taken) if full."""
        with self._lock:
            if self._counts["buffered"] + messages > limit:
                return False
            self._counts["buffered"] += messages
        return True

    def release(self, messages: int) -> None:
        """Give back room taken by :meth:`reserve` for messages that were not sent."""
        self._move("buffered", -messages)

    def delivered(self, topic: str, ok: bool) -> None:
        """One message's delivery report: acknowledged or failed."""
        with self._lock:
            self._counts["buffered"] -= 1
            self._counts["delivered" if ok else "failed"] += 1
            self._reports[topic, ok] = self._reports.get((topic, ok), 0) + 1

    def sync(self) -> None:
        """Bring the Prometheus metrics up to date with the plain counts."""
        with self._sync_lock:
            with self._lock:
                reports, self._reports = self._reports, {}
                buffered = self._counts["buffered"]
            for (topic, ok), count in reports.items():
                (self._delivered if ok else self._failed).labels(topic).inc(count)
            self._buffered.set(buffered)

    def dropped(self, reason: str, messages: int = 1) -> None:
        """``messages`` that will never reach Kafka, and why."""
        self._move("dropped", messages)
        self._dropped.labels(reason).inc(messages)

    def stats(self) -> PublisherStats:
        """The counts now."""
        with self._lock:
            return PublisherStats(**self._counts)

    def _move(self, name: str, amount: int) -> None:
        with self._lock:
            self._counts[name] += amount
