"""What tiffin needs of Kafka: the lazy confluent-kafka import, broker addresses, a
producer's settings, and one log line when the brokers go away (and one when they return).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from tiffin.errors import FeedbackError

__all__ = ["BrokerHealth", "Producer", "parse_brokers", "producer_config", "require_kafka"]

BROKER = re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?(\[[0-9a-fA-F:.]+\]|[^\s:/,\[\]]+):(\d+)")
UNREACHABLE = ("_ALL_BROKERS_DOWN", "_TRANSPORT", "_RESOLVE", "_TIMED_OUT")


class Producer(Protocol):
    """The part of ``confluent_kafka.Producer`` the publisher uses (and its fake implements)."""

    def produce(self, topic: str, value: bytes, key: bytes, headers: Any, on_delivery: Any) -> Any:
        """Queue one message; ``on_delivery(error, message)`` is called from poll/flush."""

    def poll(self, timeout: float) -> int:
        """Serve delivery reports for up to ``timeout`` seconds."""

    def flush(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for every message; return how many are left."""

    def __len__(self) -> int:
        """Messages queued or in flight."""


def require_kafka() -> Any:
    """The ``confluent_kafka`` module, or a one-line error naming the extra to install."""
    try:
        import confluent_kafka
    except ImportError as exc:
        raise FeedbackError(
            "Kafka events need confluent-kafka, which is not installed",
            hint="pip install 'tiffin[kafka]'",
        ) from exc
    return confluent_kafka


def parse_brokers(brokers: str | Iterable[str]) -> str:
    """``"host:port,host:port"`` (or a list of ``host:port``), checked; the form librdkafka
    takes. Raises :class:`FeedbackError` for an empty list or an address without a port."""
    items = brokers.split(",") if isinstance(brokers, str) else list(brokers)
    addresses = [item.strip() for item in items if item.strip()]
    if not addresses:
        raise FeedbackError("no Kafka broker given", hint="pass HOST:PORT, e.g. localhost:9092")
    for address in addresses:
        found = BROKER.fullmatch(address)
        if not found or not 0 < int(found.group(2)) < 65536:
            raise FeedbackError(
                f"Kafka broker address {address!r} is not HOST:PORT",
                hint="e.g. localhost:9092, or several separated by commas",
            )
    return ",".join(addresses)


def producer_config(
    brokers: str,
    *,
    buffer_size: int,
    delivery_timeout: float,
    max_bytes: int,
    error_cb: Callable[[Any], None],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """librdkafka settings of the event producer; ``extra`` overrides any of them.

    librdkafka keeps retrying while the brokers are away: a message fails only after
    ``delivery_timeout`` seconds. Its own log lines are off (below critical); the
    publisher logs unreachable brokers once instead.
    """
    config: dict[str, Any] = {
        "bootstrap.servers": brokers,
        "client.id": "tiffin",
        "linger.ms": 20,
        "queue.buffering.max.messages": buffer_size + 1000,
        "message.timeout.ms": max(1, int(delivery_timeout * 1000)),
        "message.max.bytes": max(max_bytes + 4096, 1_000_000),
        "reconnect.backoff.max.ms": 2000,
        "log_level": 2,
        "logger": logging.getLogger("tiffin.events.librdkafka"),
        "error_cb": error_cb,
    }
    config.update(extra or {})
    return config


class BrokerHealth:
    """Says once that the brokers are unreachable, and once that they answer again."""

    def __init__(self, brokers: str, logger: logging.Logger, meanwhile: str) -> None:
        self.brokers = brokers
        self.logger = logger
        self.meanwhile = meanwhile
        self.down = False

    def on_error(self, error: Any) -> None:
        """librdkafka's ``error_cb``: connection trouble is reported once per outage."""
        name = _error_name(error)
        if name in UNREACHABLE:
            if not self.down:
                self.down = True
                self.logger.warning("Kafka at %s is unreachable (%s); %s", self.brokers,
                                    _reason(error), self.meanwhile)  # fmt: skip
        elif _is_fatal(error):
            self.logger.error("Kafka at %s: %s", self.brokers, _reason(error))
        else:
            self.logger.debug("Kafka at %s: %s", self.brokers, _reason(error))

    def on_success(self) -> None:
        """Something reached the brokers: end of an outage, if there was one."""
        if self.down:
            self.down = False
            self.logger.warning("Kafka at %s is reachable again", self.brokers)


def _error_name(error: Any) -> str:
    try:
        return str(error.name())
    except Exception:
        return ""


def _is_fatal(error: Any) -> bool:
    try:
        return bool(error.fatal())
    except Exception:
        return False


def _reason(error: Any) -> str:
    try:
        return str(error.str())
    except Exception:
        return str(error)
