"""Whether and where the workers publish events to Kafka, decided once before any starts.

The gunicorn master checks the settings (the ``kafka`` extra is installed, the broker
addresses and topic names are well formed) without importing confluent-kafka: a
librdkafka producer and the publisher's thread do not survive a fork, so each worker
makes its own :class:`~tiffin.events.EventPublisher` in the app's lifespan, and closes it
at shutdown, sending what is still buffered within what is left of the graceful timeout.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from tiffin.errors import ExtraNotInstalled, FeedbackError, ServerError, setting
from tiffin.events import EventPublisher, Topics, parse_brokers
from tiffin.spec import ServerSettings

logger = logging.getLogger("tiffin.server")


@dataclass(frozen=True)
class EventsOptions:
    """How each worker publishes its events."""

    brokers: str
    topics: Topics
    max_event_bytes: int
    include_inputs: bool
    include_outputs: bool


def events_options(settings: ServerSettings) -> EventsOptions | None:
    """The workers' event settings, checked; None without ``kafka_broker``.

    Raises :class:`ExtraNotInstalled` (one line naming ``tiffin[kafka]``) when
    confluent-kafka is missing, FeedbackError for a malformed broker address or topic.
    """
    if not settings.kafka_broker:
        return None
    if importlib.util.find_spec("confluent_kafka") is None:
        raise ExtraNotInstalled(f"publishing events to Kafka ({setting('kafka_broker')})",
                                "kafka", ["confluent-kafka"])  # fmt: skip
    return EventsOptions(
        brokers=parse_brokers(settings.kafka_broker),
        topics=Topics(predictions=settings.predictions_topic, feedback=settings.feedback_topic),
        max_event_bytes=settings.max_event_size,
        include_inputs=settings.event_inputs,
        include_outputs=settings.event_outputs,
    )


def start_publisher(options: EventsOptions, registry: CollectorRegistry) -> EventPublisher:
    """This worker's publisher. Kafka being down is no error: the publisher says so once
    and keeps the events until it is back. Settings Kafka refuses are a ServerError."""
    try:
        publisher = EventPublisher.from_settings(
            options.brokers,
            topics=options.topics,
            max_event_bytes=options.max_event_bytes,
            include_inputs=options.include_inputs,
            include_outputs=options.include_outputs,
            registry=registry,
        )
    except FeedbackError as exc:
        raise ServerError(f"cannot publish events: {exc.message}", hint=exc.hint) from exc
    logger.info("publishing events to Kafka at %s (topics %s and %s)", options.brokers,
                options.topics.predictions, options.topics.feedback)  # fmt: skip
    return publisher
