"""Prometheus metrics: requests, latency, errors by protocol and status, model load time,
and the model-reported metrics that were rejected.

A request's status is its HTTP status code (``200``, ``404``), or for gRPC calls the
name of its gRPC status code (``OK``, ``NOT_FOUND``) under the protocol ``oip_v2_grpc``.

Under gunicorn every worker writes to ``PROMETHEUS_MULTIPROC_DIR`` (set by
``tiffin serve`` before any worker starts) and ``/metrics`` aggregates them,
so the numbers cover the whole server, not the worker that happened to answer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from tiffin.errors import InvalidMetric
from tiffin.metrics.prometheus import use_multiprocess_values

LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
)  # fmt: skip


class Metrics:
    """The server's metrics, with label children cached for the hot path."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        use_multiprocess_values()
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "tiffin_requests",
            "Requests answered, by protocol and status (HTTP status code, gRPC status name).",
            ["protocol", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "tiffin_request_errors",
            "Requests answered with a 4xx or 5xx HTTP status or a gRPC status other than OK, "
            "by protocol and status.",
            ["protocol", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tiffin_request_duration_seconds",
            "Time from the request reaching the app to its response, by protocol.",
            ["protocol"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.load_time = Gauge(
            "tiffin_model_load_seconds",
            "Seconds the model took to instantiate and load.",
            ["model"],
            multiprocess_mode="max",
            registry=self.registry,
        )
        self.rejections = Counter(
            "tiffin_metric_rejections",
            "Metrics reported by the model and rejected (unknown type, a value that is no "
            "number, a name reported before as another type...), by model and version; the "
            "prediction was answered without them.",
            ["model", "version"],
            registry=self.registry,
        )
        self.model_requests = Counter(
            "tiffin_model_requests",
            "HTTP requests to one model of a repository (several models in one server), by "
            "model, protocol and status.",
            ["model", "protocol", "status"],
            registry=self.registry,
        )
        self._children: dict[tuple[str, int | str], tuple[Any, Any | None, Any]] = {}

    def observe(self, protocol: str, status: int | str, seconds: float) -> None:
        """Record one answered request: an HTTP status code, or a gRPC status name."""
        key = (protocol, status)
        children = self._children.get(key)
        if children is None:
            label = str(status)
            failed = status >= 400 if isinstance(status, int) else status != "OK"
            children = (
                self.requests.labels(protocol, label),
                self.errors.labels(protocol, label) if failed else None,
                self.latency.labels(protocol),
            )
            self._children[key] = children
        children[0].inc()
        if children[1] is not None:
            children[1].inc()
        children[2].observe(seconds)

    def observe_model(self, model: str, protocol: str, status: int) -> None:
        """Record one HTTP request answered for ``model`` of a repository."""
        self.model_requests.labels(model, protocol, str(status)).inc()

    def rejection_counter(self, model: str, version: str) -> Callable[[InvalidMetric], None]:
        """What counts one rejected metric of ``model`` (a Reporter's ``on_rejected``)."""
        child = self.rejections.labels(model, version)
        return lambda error: child.inc()

    def model_loaded(self, model: str, seconds: float) -> None:
        """Record how long the model took to load."""
        self.load_time.labels(model).set(seconds)

    def render(self) -> bytes:
        """The exposition text of every worker's metrics."""
        if self.multiprocess:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)

    def exposition(self) -> tuple[bytes, str]:
        """:meth:`render` and its content type: what ``GET /metrics`` answers."""
        return self.render(), self.content_type
