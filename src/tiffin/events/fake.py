"""An in-memory producer: the fake of the publisher's one seam, for tests.

``MemoryProducer(up=False)`` holds messages as a producer does while the brokers are
away; ``producer.up = True`` lets the next ``poll`` deliver them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MemoryMessage", "MemoryProducer"]


@dataclass
class MemoryMessage:
    """A produced message, with the accessors of ``confluent_kafka.Message``."""

    topic_name: str
    value_bytes: bytes
    key_bytes: bytes | None = None
    header_list: list[tuple[str, bytes]] = field(default_factory=list)

    def topic(self) -> str:
        return self.topic_name

    def value(self) -> bytes:
        return self.value_bytes

    def key(self) -> bytes | None:
        return self.key_bytes

    def headers(self) -> list[tuple[str, bytes]]:
        return self.header_list


class MemoryProducer:
    """Implements :class:`~tiffin.events.kafka.Producer` in memory; ``sent`` holds what
    was delivered, in order."""

    def __init__(self, *, up: bool = True) -> None:
        self.up = up
        self.sent: list[MemoryMessage] = []
        self._pending: list[tuple[MemoryMessage, Callable[[Any, Any], None] | None]] = []
        self._lock = threading.Lock()

    def produce(
        self,
        topic: str,
        value: bytes,
        key: bytes | None = None,
        headers: Any = None,
        on_delivery: Callable[[Any, Any], None] | None = None,
    ) -> None:
        """Hold one message until a ``poll`` while up."""
        message = MemoryMessage(topic, value, key, list(headers or []))
        with self._lock:
            self._pending.append((message, on_delivery))

    def poll(self, timeout: float = 0) -> int:
        """Deliver every held message if up; return how many reports were served."""
        if not self.up:
            return 0
        return self._report(None)

    def flush(self, timeout: float = 0) -> int:
        """Deliver if up; return how many messages are still held."""
        self.poll()
        return len(self)

    def purge(self) -> None:
        """Fail every held message, as librdkafka's purge does."""
        self._report("purged")

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)

    def _report(self, error: Any) -> int:
        with self._lock:
            pending, self._pending = self._pending, []
        for message, on_delivery in pending:
            if error is None:
                self.sent.append(message)
            if on_delivery is not None:
                on_delivery(error, message)
        return len(pending)
