"""Where a call's metrics and events go once the model has answered.

The dataplane hands every :class:`~tiffin.metrics.Result` of ``predict`` and ``feedback``
to a :class:`Reporter`: its metrics are recorded in Prometheus (per model and version,
:class:`~tiffin.metrics.prometheus.MetricsRecorder`) and, with Kafka configured, the call
is published as an event (:class:`~tiffin.events.EventPublisher`) to the default topic and
the topics the result names. None of it can fail the request: a bad metric is logged
(once per distinct reason), counted and left out, and publishing never blocks nor raises.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from tiffin.errors import InvalidMetric
from tiffin.events import EventPublisher
from tiffin.metrics import NOT_GIVEN, Metric, Result
from tiffin.metrics.prometheus import MetricsRecorder

__all__ = ["FEEDBACK", "PREDICT", "Reporter"]

log = logging.getLogger("tiffin.server")

PREDICT, FEEDBACK = "predict", "feedback"
MAX_LOGGED = 100
"""Distinct rejection messages logged per worker; later ones are only counted."""

OnRejected = Callable[[InvalidMetric], None]
"""Counts one rejected metric (the server's ``tiffin_metric_rejections_total``)."""


class Reporter:
    """Records a model's metrics and publishes its events; never raises into a request."""

    def __init__(
        self,
        model: str,
        version: str,
        *,
        recorder: MetricsRecorder | None = None,
        publisher: EventPublisher | None = None,
        on_rejected: OnRejected | None = None,
    ) -> None:
        self.model = model
        self.version = version
        self.recorder = recorder
        self.publisher = publisher
        self.on_rejected = on_rejected
        self._logged: set[str] = set()

    @property
    def publishes(self) -> bool:
        """True when calls are published as events (a plain output still makes one)."""
        return self.publisher is not None

    def report(self, kind: str, request_id: str | None, inputs: Any, result: Result) -> None:
        """Record ``result``'s metrics and publish the call's event (``kind``: predict or
        feedback); ``inputs`` is what the event records unless the result says otherwise."""
        try:
            metrics = self._record(result)
            if self.publisher is not None:
                self._publish(kind, request_id, inputs, result, metrics)
        except Exception:  # a bug here must never cost the client its answer
            log.exception("reporting the metrics and event of %s failed", self.model)

    def _record(self, result: Result) -> tuple[Metric, ...]:
        """Record each metric; return those recorded. Rejections are logged and counted."""
        for error in result.rejected:
            self._reject(error)
        if self.recorder is None or not result.metrics:
            return result.metrics
        recorded = []
        for metric in result.metrics:
            try:
                self.recorder.record((metric,))
            except InvalidMetric as exc:  # a name reported before with another type/labels
                self._reject(exc)
            else:
                recorded.append(metric)
        return tuple(recorded)

    def _publish(self, kind: str, request_id: str | None, inputs: Any, result: Result,
                 metrics: tuple[Metric, ...]) -> None:  # fmt: skip
        assert self.publisher is not None
        recorded = inputs if result.input is NOT_GIVEN else result.input
        publish = (self.publisher.publish_prediction if kind == PREDICT
                   else self.publisher.publish_feedback)  # fmt: skip
        publish(self.model, self.version, request_id, recorded, result.output, metrics,
                result.topics)  # fmt: skip

    def _reject(self, error: InvalidMetric) -> None:
        if self.on_rejected is not None:
            self.on_rejected(error)
        message = error.message
        if message not in self._logged and len(self._logged) < MAX_LOGGED:
            self._logged.add(message)
            log.warning("%s: metric rejected, the prediction is answered without it: %s "
                        "(logged once; tiffin_metric_rejections_total counts them)",
                        self.model, message)  # fmt: skip
