"""Prometheus histograms of adaptive batching: rows per predict call and time queued.

- ``tiffin_batch_size{model}``: the rows of each ``predict`` call of a batching model;
- ``tiffin_batch_queue_seconds{model}``: how long each request waited in the queue before
  its batch started.

They are registered the first time a batch is recorded, so a server that does not batch
exposes neither (the browser console draws its batch chart only when
``tiffin_batch_size`` is there). Under gunicorn they are summed over the workers like the
other histograms.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from prometheus_client import CollectorRegistry, Histogram

__all__ = ["BATCH_SIZE_BUCKETS", "QUEUE_BUCKETS", "BatchMetrics"]

BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384)
QUEUE_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip

_SHARED: WeakKeyDictionary[CollectorRegistry, tuple[Histogram, Histogram]] = WeakKeyDictionary()


class BatchMetrics:
    """Records one model's batch sizes and queue waits (a :class:`BatchObserver`)."""

    def __init__(self, registry: CollectorRegistry, model: str) -> None:
        self.registry = registry
        self.model = model
        self._sizes: Any = None
        self._waits: Any = None

    def _register(self) -> None:
        shared = _SHARED.get(self.registry)  # the models of a repository share a registry
        if shared is None:
            shared = _SHARED[self.registry] = self._histograms()
        self._sizes, self._waits = shared[0].labels(self.model), shared[1].labels(self.model)

    def _histograms(self) -> tuple[Histogram, Histogram]:
        sizes = Histogram(
            "tiffin_batch_size",
            "Rows per predict call of a model that batches requests, by model.",
            ["model"],
            buckets=BATCH_SIZE_BUCKETS,
            registry=self.registry,
        )
        waits = Histogram(
            "tiffin_batch_queue_seconds",
            "Seconds a request waited in the batching queue before its batch started, by model.",
            ["model"],
            buckets=QUEUE_BUCKETS,
            registry=self.registry,
        )
        return sizes, waits

    def batch(self, rows: int) -> None:
        """One predict call of ``rows`` rows."""
        if self._sizes is None:
            self._register()
        self._sizes.observe(rows)

    def waited(self, seconds: float) -> None:
        """One request spent ``seconds`` queued."""
        if self._waits is None:
            self._register()
        self._waits.observe(seconds)
