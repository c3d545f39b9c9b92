"""Metrics a model reports about itself: accuracy, drift, counts, durations.

In a model's ``predict`` (or ``feedback``)::

    from tiffin.metrics import Result, gauge, counter, timer

    def predict(self, features):
        labels = self.model.predict(features)
        return Result(labels, metrics=[gauge("confidence", 0.87), counter("rows", len(labels))])

The server answers with the output, records the metrics in Prometheus
(:mod:`tiffin.metrics.prometheus`) and puts them in the prediction's event. See
docs/feedback.md.
"""

from __future__ import annotations

from tiffin.metrics.metric import Metric, MetricType, counter, gauge, parse_metrics, timer
from tiffin.metrics.result import (
    NOT_GIVEN,
    ResponseFormat,
    Result,
    create_response,
    unwrap_result,
)

__all__ = [
    "NOT_GIVEN",
    "Metric",
    "MetricType",
    "ResponseFormat",
    "Result",
    "counter",
    "create_response",
    "gauge",
    "parse_metrics",
    "timer",
    "unwrap_result",
]
