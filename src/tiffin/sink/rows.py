"""From an event's bytes to the metric rows it holds, or a reason it is malformed.

Every tiffin event may carry metrics: ``io.tiffin.metrics`` events are only that, and
``io.tiffin.predict`` / ``io.tiffin.feedback`` events carry the metrics the model
reported with the call. An event without metrics gives no rows and is not malformed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from tiffin.errors import InvalidMetric
from tiffin.metrics import parse_metrics

__all__ = ["MalformedEvent", "MetricRow", "rows_of"]

EVENT_PREFIX = "io.tiffin."


class MalformedEvent(ValueError):
    """An event the sink cannot read: not JSON, not a tiffin CloudEvent, or bad metrics."""


@dataclass(frozen=True)
class MetricRow:
    """One metric of one event: a row of the metrics table."""

    time: datetime
    model: str
    version: str
    name: str
    type: str
    value: float
    labels: dict[str, str]
    event_type: str
    request_id: str | None
    event_id: str
    metric_index: int


def rows_of(value: bytes | None) -> list[MetricRow]:
    """The rows of the event in a Kafka message's value; raises :class:`MalformedEvent`."""
    event = _json_object(value)
    event_id, kind, moment = _envelope(event)
    data = event.get("data")
    if not isinstance(data, dict):
        raise MalformedEvent("'data' is not an object")
    model, version = data.get("model"), data.get("version") or ""
    request_id = data.get("request_id")
    if not isinstance(model, str) or not model:
        raise MalformedEvent("'data.model' is not a non-empty string")
    if not isinstance(version, str) or not isinstance(request_id, (str, type(None))):
        raise MalformedEvent("'data.version' or 'data.request_id' is not a string")
    metrics = data.get("metrics") or []
    if not isinstance(metrics, list):
        raise MalformedEvent("'data.metrics' is not a list (truncated by the publisher?)")
    try:
        parsed = parse_metrics(metrics)
    except InvalidMetric as exc:
        raise MalformedEvent(exc.message) from None
    return [
        MetricRow(moment, model, version, metric.name, metric.type.value, metric.value,
                  dict(metric.labels), kind, request_id, event_id, index)
        for index, metric in enumerate(parsed)
    ]  # fmt: skip


def _json_object(value: bytes | None) -> dict[str, Any]:
    if not value:
        raise MalformedEvent("empty message")
    try:
        event = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise MalformedEvent(f"not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise MalformedEvent(f"not a JSON object but {type(event).__name__}")
    return event


def _envelope(event: dict[str, Any]) -> tuple[str, str, datetime]:
    """The event's id, type and time, after checking it is a tiffin CloudEvent."""
    if event.get("specversion") != "1.0":
        raise MalformedEvent(f"not a CloudEvent 1.0 (specversion {event.get('specversion')!r})")
    event_id, kind, moment = event.get("id"), event.get("type"), event.get("time")
    if not isinstance(event_id, str) or not event_id:
        raise MalformedEvent("'id' is not a non-empty string")
    if not isinstance(kind, str) or not kind.startswith(EVENT_PREFIX):
        raise MalformedEvent(f"type {kind!r} is not a tiffin event ({EVENT_PREFIX}*)")
    return event_id, kind, _timestamp(moment)


def _timestamp(text: object) -> datetime:
    if not isinstance(text, str):
        raise MalformedEvent("'time' is missing")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise MalformedEvent(f"'time' {text!r} is not an RFC 3339 timestamp") from None
    if moment.tzinfo is None:
        raise MalformedEvent(f"'time' {text!r} has no time zone")
    return moment
