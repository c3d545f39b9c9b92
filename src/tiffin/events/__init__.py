"""Events of predictions, feedback and model metrics, sent to Kafka as CloudEvents.

The server keeps one publisher per worker::

    publisher = EventPublisher.from_settings("kafka:9092")      # needs tiffin[kafka]
    publisher.publish_prediction("iris", "1", request_id, inputs, outputs, metrics,
                                 topics=result.topics)            # never blocks nor raises
    publisher.close(timeout=10)                                   # at shutdown

See docs/feedback.md for the event's shape, its topics and what happens while Kafka is down.
"""

from __future__ import annotations

from tiffin.events.cloudevents import (
    CONTENT_TYPE,
    EVENT_TYPES,
    FEEDBACK,
    METRICS,
    PREDICT,
    Event,
    EventOptions,
    encode_event,
)
from tiffin.events.counters import PublisherStats
from tiffin.events.kafka import parse_brokers
from tiffin.events.publisher import EventPublisher
from tiffin.events.topics import Topics, validate_topic

__all__ = [
    "CONTENT_TYPE",
    "EVENT_TYPES",
    "FEEDBACK",
    "METRICS",
    "PREDICT",
    "Event",
    "EventOptions",
    "EventPublisher",
    "PublisherStats",
    "Topics",
    "encode_event",
    "parse_brokers",
    "validate_topic",
]
