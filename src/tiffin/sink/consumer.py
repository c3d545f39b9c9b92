"""The sink's Kafka consumer: batches of messages, offsets committed by hand, lag.

Offsets are never committed automatically: the runner commits a batch's offsets only
after its rows are in the database, so a crash re-reads (and the table's unique key
de-duplicates) rather than loses.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from tiffin.errors import SinkError
from tiffin.events.kafka import BrokerHealth, require_kafka
from tiffin.sink.settings import SinkSettings

__all__ = ["MetricsConsumer", "consumer_config"]

log = logging.getLogger("tiffin.sink")

QUIET = ("_PARTITION_EOF", "_TRANSPORT", "_ALL_BROKERS_DOWN", "_RESOLVE", "_TIMED_OUT")
MISSING_TOPIC = ("UNKNOWN_TOPIC_OR_PART", "_UNKNOWN_TOPIC", "_UNKNOWN_PARTITION")


def consumer_config(settings: SinkSettings, health: BrokerHealth) -> dict[str, Any]:
    """librdkafka settings of the sink; ``settings.kafka_config`` overrides any of them."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.brokers,
        "group.id": settings.group,
        "client.id": "tiffin-metrics-sink",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "allow.auto.create.topics": True,
        "topic.metadata.refresh.interval.ms": 10_000,
        "session.timeout.ms": 10_000,
        "heartbeat.interval.ms": 3_000,
        "reconnect.backoff.max.ms": 5_000,
        "log_level": 2,
        "logger": logging.getLogger("tiffin.sink.librdkafka"),
        "error_cb": health.on_error,
    }
    config.update(settings.kafka_config)
    return config


class MetricsConsumer:
    """Reads the event topics in batches for one consumer group."""

    def __init__(self, settings: SinkSettings) -> None:
        self.kafka = require_kafka()
        self.health = BrokerHealth(settings.brokers, log, "retrying until it answers")
        try:
            self.consumer = self.kafka.Consumer(consumer_config(settings, self.health))
        except self.kafka.KafkaException as exc:
            raise SinkError(f"Kafka refused the consumer settings: {exc}",
                            hint="check --kafka-config KEY=VALUE") from exc  # fmt: skip
        self.consumer.subscribe(list(settings.topics))
        self._noted: set[str] = set()

    def poll(self, max_messages: int, timeout: float) -> list[Any]:
        """Up to ``max_messages`` messages with a value; errors are noted, not returned."""
        messages = self.consumer.consume(num_messages=max_messages, timeout=timeout)
        good = []
        for message in messages:
            error = message.error()
            if error is None:
                good.append(message)
            else:
                self._note(error, message)
        if good:
            self.health.on_success()
        return good

    def commit(self, messages: Sequence[Any]) -> bool:
        """Commit the offsets after ``messages`` (synchronously); False if Kafka said no."""
        last: dict[tuple[str, int], int] = {}
        for message in messages:
            place = (message.topic(), message.partition())
            last[place] = max(last.get(place, -1), message.offset())
        offsets = [self.kafka.TopicPartition(topic, partition, offset + 1)
                   for (topic, partition), offset in last.items()]  # fmt: skip
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except self.kafka.KafkaException as exc:
            log.warning("committing offsets failed (%s): the batch may be read again; its "
                        "rows are not stored twice", exc)  # fmt: skip
            return False
        return True

    def lag(self) -> dict[tuple[str, int], int]:
        """Messages not yet read, by (topic, partition) assigned to this consumer.

        From the high watermarks of the latest fetches: no request to the broker, so
        it never holds up the loop; a partition not fetched yet is left out.
        """
        try:
            assigned = self.consumer.assignment()
            positions = self.consumer.position(assigned) if assigned else []
            lags = {}
            for place in positions:
                low, high = self.consumer.get_watermark_offsets(place, cached=True)
                if high >= 0:
                    read = place.offset if place.offset >= 0 else max(low, 0)
                    lags[(place.topic, place.partition)] = max(0, high - read)
            return lags
        except self.kafka.KafkaException:
            return {}

    def close(self) -> None:
        """Leave the group (offsets were committed batch by batch)."""
        try:
            self.consumer.close()
        except Exception as exc:
            log.debug("closing the consumer: %s", exc)

    def _note(self, error: Any, message: Any) -> None:
        name = error.name()
        if error.fatal():
            raise SinkError(f"Kafka at {self.health.brokers}: {error.str()}",
                            hint="check the broker address and --kafka-config")  # fmt: skip
        if name in QUIET:
            return
        topic = message.topic() or ""
        key = f"{name}:{topic}"
        if key in self._noted:
            return
        self._noted.add(key)
        if name in MISSING_TOPIC:
            log.info("topic %s does not exist yet; it is read once it does", topic)
        else:
            log.warning("Kafka: %s", error.str())
