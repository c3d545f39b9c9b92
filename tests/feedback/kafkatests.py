"""Produce and consume with confluent-kafka, as any client of tiffin's events would."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

FAST_GROUP = {"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000}
"""Consumer groups join in ~3 s with these instead of librdkafka's defaults."""


def unique(prefix: str) -> str:
    """A topic or group name no other test uses (the session's broker is shared)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def produce(address: str, topic: str, values: Iterable[bytes], key: bytes | None = None) -> int:
    """Send ``values`` to ``topic`` and wait for all of them; return how many."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": address, "linger.ms": 5, "log_level": 0})
    count = 0
    for value in values:
        producer.produce(topic, value=value, key=key)
        producer.poll(0)
        count += 1
    assert producer.flush(30) == 0, "the broker did not take every message"
    return count


def consume(address: str, topics: list[str], count: int, timeout: float = 20) -> list[Any]:
    """Read ``count`` messages from the start of every partition of ``topics``, or fail.

    Partitions are assigned, not subscribed to, so no consumer group has to form.
    """
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": address, "group.id": unique("reader"),
                         "enable.auto.commit": False, "log_level": 0})  # fmt: skip
    deadline = time.monotonic() + timeout
    try:
        metadata = consumer.list_topics(timeout=10)
        consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)
                         for topic in topics
                         for partition in metadata.topics[topic].partitions])  # fmt: skip
        messages: list[Any] = []
        while len(messages) < count and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                messages.append(message)
    finally:
        consumer.close()
    assert len(messages) == count, f"read {len(messages)} of {count} messages from {topics}"
    return messages
