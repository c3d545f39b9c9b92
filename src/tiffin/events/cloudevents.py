"""Events as CloudEvents 1.0 JSON (structured mode), with a cap on their size.

An event of a prediction reads::

    {"specversion": "1.0", "id": "5f0c...", "source": "/tiffin/models/iris",
     "type": "io.tiffin.predict", "time": "2025-01-31T12:00:00.000000Z",
     "datacontenttype": "application/json",
     "data": {"model": "iris", "version": "1", "request_id": "abc",
              "metrics": [{"name": "confidence", "type": "GAUGE", "value": 0.9, "labels": {}}],
              "input": [[5.1, 3.5, 1.4, 0.2]], "output": [0]}}

An encoded event is never larger than ``EventOptions.max_bytes``: the largest of
``input`` and ``output`` is replaced by a marker ``{"truncated": true, "bytes": N,
"reason": ...}`` until it fits (then ``metrics``), and ``data.truncated`` lists what was
replaced. A value JSON cannot hold gets the same marker. ``include_inputs=False`` (or
``include_outputs=False``) leaves the key out of ``data`` altogether.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import orjson

from tiffin.codecs.jsoncodec import dumps
from tiffin.errors import FeedbackError
from tiffin.metrics import NOT_GIVEN, Metric

__all__ = [
    "CONTENT_TYPE",
    "EVENT_TYPES",
    "FEEDBACK",
    "METRICS",
    "MIN_EVENT_BYTES",
    "PREDICT",
    "Event",
    "EventOptions",
    "encode_event",
]

PREDICT = "io.tiffin.predict"
FEEDBACK = "io.tiffin.feedback"
METRICS = "io.tiffin.metrics"
EVENT_TYPES = (PREDICT, FEEDBACK, METRICS)

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json"
MIN_EVENT_BYTES = 4096
"""The smallest size cap: room for the envelope, markers and clipped names."""

TIME_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC
"""How orjson writes the event's time: RFC 3339, ``Z`` for UTC, a naive time taken as UTC."""

MAX_NAME_CHARS = 256
"""Model, version and request id are clipped to this many characters."""


@dataclass(frozen=True)
class EventOptions:
    """How events are written.

    ``max_bytes`` caps an encoded event (Kafka's default message limit is about 1 MB);
    ``include_inputs`` / ``include_outputs`` False leave the request's inputs / the
    model's outputs out of every event; ``source`` is the CloudEvents ``source``
    (default ``/tiffin/models/<model>``).
    """

    max_bytes: int = 1_000_000
    include_inputs: bool = True
    include_outputs: bool = True
    source: str | None = None

    def __post_init__(self) -> None:
        if self.max_bytes < MIN_EVENT_BYTES:
            raise FeedbackError(
                f"an event size cap of {self.max_bytes} bytes is too small",
                hint=f"use at least {MIN_EVENT_BYTES} bytes",
            )


def _now() -> datetime:
    return datetime.now(timezone.utc)


_VERSION_4 = (0x4 << 76) | (0x2 << 62)
_VERSION_BITS = (0xF << 76) | (0x3 << 62)


def _new_id() -> str:
    """A random (version 4) UUID, as ``uuid.uuid4()`` makes but without its system call per
    event; ``random`` is seeded anew in each forked worker."""
    digits = f"{random.getrandbits(128) & ~_VERSION_BITS | _VERSION_4:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


@dataclass(frozen=True)
class Event:
    """An event not yet encoded: its id and time are fixed when it is made.

    ``input`` / ``output`` left as ``NOT_GIVEN`` are not part of the event (a metrics
    event has neither).
    """

    type: str
    model: str
    version: str
    request_id: str | None = None
    input: Any = NOT_GIVEN
    output: Any = NOT_GIVEN
    metrics: tuple[Metric, ...] = ()
    id: str = field(default_factory=_new_id)
    time: datetime = field(default_factory=_now)

    @property
    def key(self) -> bytes:
        """The Kafka message key: the request id (events of one request share a
        partition), else the event id."""
        return _clip(self.request_id or self.id).encode()


def encode_event(event: Event, options: EventOptions | None = None) -> bytes:
    """The event as CloudEvents JSON of at most ``options.max_bytes``; never raises for
    the event's contents (what cannot be written becomes a marker)."""
    options = options or EventOptions()
    parts = _parts(event, options)
    truncated = [name for name, (_, marked) in parts.items() if marked]
    body = _render(event, options, parts, truncated)
    if len(body) <= options.max_bytes:
        return body
    for name in _by_size(parts):
        if len(body) <= options.max_bytes:
            break
        size = len(parts[name][0])
        reason = f"{size} bytes of JSON exceed the event limit of {options.max_bytes}"
        parts[name] = (_marker(reason, size), True)
        truncated.append(name)
        body = _render(event, options, parts, truncated)
    return body


def _parts(event: Event, options: EventOptions) -> dict[str, tuple[bytes, bool]]:
    """The serialized ``input``, ``output`` and ``metrics``; True marks a marker."""
    metrics = orjson.dumps([m.to_dict() for m in event.metrics]) if event.metrics else b"[]"
    parts = {"metrics": (metrics, False)}
    if options.include_inputs and event.input is not NOT_GIVEN:
        parts["input"] = _serialized(event.input)
    if options.include_outputs and event.output is not NOT_GIVEN:
        parts["output"] = _serialized(event.output)
    return parts


def _serialized(value: Any) -> tuple[bytes, bool]:
    try:
        return dumps(value), False
    except Exception as exc:  # anything a model returns may fail to serialize
        return _marker(f"not JSON-serializable: {type(value).__name__}: {exc}"[:300]), True


def _marker(reason: str, size: int | None = None) -> bytes:
    marker: dict[str, Any] = {"truncated": True, "reason": reason}
    if size is not None:
        marker["bytes"] = size
    return orjson.dumps(marker)


def _by_size(parts: dict[str, tuple[bytes, bool]]) -> list[str]:
    """What to replace first: the larger of input and output, then the other, then metrics."""
    payload = sorted((name for name in parts if name != "metrics"),
                     key=lambda name: len(parts[name][0]), reverse=True)  # fmt: skip
    return [name for name in [*payload, "metrics"] if not parts[name][1]]


def _render(
    event: Event, options: EventOptions, parts: dict[str, tuple[bytes, bool]], truncated: list[str]
) -> bytes:
    data: dict[str, Any] = {
        "model": _clip(event.model),
        "version": _clip(event.version),
        "request_id": _clip(event.request_id) if event.request_id is not None else None,
    }
    data.update({name: orjson.Fragment(body) for name, (body, _) in parts.items()})
    if truncated:
        data["truncated"] = truncated
    envelope = {
        "specversion": SPEC_VERSION,
        "id": event.id,
        "source": (options.source or f"/tiffin/models/{_clip(event.model)}")[:1024],
        "type": event.type,
        "time": event.time,  # RFC 3339, UTC written as Z (see TIME_OPTIONS)
        "datacontenttype": "application/json",
        "data": data,
    }
    return orjson.dumps(envelope, option=TIME_OPTIONS)


def _clip(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_NAME_CHARS else text[:MAX_NAME_CHARS]
