"""Model-reported metrics as Prometheus metrics, labelled by model and version.

=========  ===========================================  ==================================
type       Prometheus                                   exposed as
=========  ===========================================  ==================================
GAUGE      ``Gauge.set(value)``                         ``<name>``
COUNTER    ``Counter.inc(value)``                       ``<name>_total``
TIMER      ``Histogram.observe(value / 1000)``          ``<name>_seconds`` (``_bucket``...)
=========  ===========================================  ==================================

TIMER values are milliseconds (the ml-deploy and Seldon convention) and are observed in
seconds, Prometheus' unit; a name already ending in ``_seconds`` keeps it.

Under gunicorn every worker writes its values to ``PROMETHEUS_MULTIPROC_DIR`` and
``/metrics`` merges them: counters and histograms are summed over the workers; a gauge
shows the value most recently set by any live worker (``multiprocess_mode=
"livemostrecent"``): one series per label set, as with a single process, and the value
of a worker that has exited disappears with it.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Iterable
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from tiffin.errors import InvalidMetric
from tiffin.metrics.metric import Metric, MetricType

__all__ = ["GAUGE_MULTIPROCESS_MODE", "TIMER_BUCKETS", "MetricsRecorder", "exposed_name"]

GAUGE_MULTIPROCESS_MODE: Final = "livemostrecent"
"""How gauges of several workers merge: the latest value set by a live worker."""

TIMER_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip
"""Histogram buckets of TIMER metrics, in seconds."""

BASE_LABELS = ("model", "version")


def use_multiprocess_values() -> None:
    """With ``PROMETHEUS_MULTIPROC_DIR`` set, make sure values go to the shared files.

    prometheus_client picks its value class when first imported; switch it if that
    happened before the variable was set.
    """
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    from prometheus_client import values

    if values.ValueClass.__name__ != "MmapedValue":
        values.ValueClass = values.MultiProcessValue()


def exposed_name(metric: Metric) -> str:
    """The name Prometheus shows (before a counter's ``_total``)."""
    if metric.type is MetricType.TIMER and not metric.name.endswith("_seconds"):
        return f"{metric.name}_seconds"
    return metric.name


class MetricsRecorder:
    """Applies a model's metrics to Prometheus collectors on ``registry``.

    One recorder per served model: ``MetricsRecorder("iris", "1", registry=...)``, then
    ``recorder.record(result.metrics)`` after each call that reported some. A name keeps
    the type and label names it was first reported with; a later metric that differs
    raises :class:`~tiffin.errors.InvalidMetric` and nothing of that call is recorded.
    """

    def __init__(
        self,
        model: str,
        version: str = "",
        *,
        registry: CollectorRegistry | None = None,
        buckets: tuple[float, ...] = TIMER_BUCKETS,
    ) -> None:
        use_multiprocess_values()
        self.model = model
        self.version = version
        self.registry = registry if registry is not None else CollectorRegistry()
        self.buckets = buckets
        self._collectors: dict[str, tuple[MetricType, tuple[str, ...], Any]] = {}
        self._lock = threading.Lock()

    def for_model(self, model: str, version: str = "") -> MetricsRecorder:
        """A recorder of another model sharing this one's registry and collectors: the
        models of one server report into the same metric families, told apart by label."""
        other = copy.copy(self)
        other.model, other.version = model, version
        return other

    def record(self, metrics: Iterable[Metric]) -> None:
        """Set gauges, add to counters and observe timers, labelled by model and version."""
        metrics = tuple(metrics)
        with self._lock:
            collectors = [self._collector(metric) for metric in metrics]
        for metric, collector in zip(metrics, collectors, strict=True):
            child = collector.labels(self.model, self.version, *metric.labels.values())
            if metric.type is MetricType.GAUGE:
                child.set(metric.value)
            elif metric.type is MetricType.COUNTER:
                child.inc(metric.value)
            else:
                child.observe(metric.value / 1000.0)

    def _collector(self, metric: Metric) -> Any:
        """The collector of ``metric``'s name, made on first use; checks type and labels."""
        name = exposed_name(metric)
        labels = tuple(metric.labels)
        known = self._collectors.get(name)
        if known is None:
            known = (metric.type, labels, self._make(metric, name))
            self._collectors[name] = known
        kind, label_names, collector = known
        if kind is not metric.type:
            raise InvalidMetric(metric.name, f"reported as {kind.value} before, now as "
                                             f"{metric.type.value}")  # fmt: skip
        if label_names != labels:
            raise InvalidMetric(metric.name, f"reported with labels {list(label_names)} before, "
                                             f"now with {list(labels)}")  # fmt: skip
        return collector

    def _make(self, metric: Metric, name: str) -> Any:
        """A new collector for ``metric``, registered on the recorder's registry."""
        labelnames = (*BASE_LABELS, *metric.labels)
        documentation = f"{metric.type.value} {metric.name!r} reported by the model."
        common: dict[str, Any] = {"labelnames": labelnames, "registry": self.registry}
        try:
            if metric.type is MetricType.GAUGE:
                return Gauge(name, documentation, multiprocess_mode=GAUGE_MULTIPROCESS_MODE,
                             **common)  # fmt: skip
            if metric.type is MetricType.COUNTER:
                return Counter(name, documentation, **common)
            return Histogram(name, documentation, buckets=self.buckets, **common)
        except ValueError as exc:  # a name prometheus_client refuses or already registered
            raise InvalidMetric(metric.name, str(exc)) from exc
