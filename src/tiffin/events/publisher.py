"""Send events to Kafka from a request path that must never wait for Kafka.

``publish`` only checks the topics, takes room in a bounded buffer and queues the event:
it never blocks and never raises. A background thread encodes each event
(:func:`~tiffin.events.cloudevents.encode_event`) and hands it to the producer. While
the brokers are away librdkafka keeps the messages and retries; they are sent when the
brokers are back, unless ``delivery_timeout`` passes first (then they count as failed).
When the buffer is full new events are dropped and counted, never queued without bound.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry

from tiffin.errors import FeedbackError, InvalidTopic
from tiffin.events.cloudevents import (
    CONTENT_TYPE,
    FEEDBACK,
    METRICS,
    PREDICT,
    Event,
    EventOptions,
    encode_event,
)
from tiffin.events.counters import PublisherCounters, PublisherStats
from tiffin.events.kafka import (
    BrokerHealth,
    Producer,
    parse_brokers,
    producer_config,
    require_kafka,
)
from tiffin.events.topics import Topics, validate_topic
from tiffin.metrics import NOT_GIVEN, Metric

__all__ = ["EventPublisher"]

log = logging.getLogger("tiffin.events")

HEADERS = [("content-type", CONTENT_TYPE.encode())]
GATHER_SECONDS = 0.005
"""Once an event arrives, the thread waits this long for more and handles them together:
one wake-up (and one turn of the GIL) per batch, not per event, while the request path
is busy. librdkafka lingers longer than this before sending anyway (``linger.ms``)."""


@dataclass(frozen=True)
class _Outgoing:
    event: Event
    topics: tuple[str, ...]


_STOP = object()


class EventPublisher:
    """Publishes prediction, feedback and metrics events to Kafka in the background.

    Build it with :meth:`from_settings` (or hand it any :class:`~tiffin.events.kafka.
    Producer`, such as :class:`~tiffin.events.fake.MemoryProducer` in tests), call the
    ``publish_*`` methods from request handlers and :meth:`close` at shutdown.
    ``buffer_size`` bounds the messages (one per event and topic) waiting in memory or in
    flight; ``registry`` receives the counters of :mod:`tiffin.events.counters`.

    It owns a thread and a librdkafka producer, which do not survive a fork: make one in
    each worker process once it has started.
    """

    def __init__(
        self,
        producer: Producer,
        *,
        topics: Topics | None = None,
        options: EventOptions | None = None,
        buffer_size: int = 10_000,
        registry: CollectorRegistry | None = None,
        health: BrokerHealth | None = None,
    ) -> None:
        if buffer_size < 1:
            raise FeedbackError(f"the event buffer must hold at least 1 message, not {buffer_size}")
        self.topics = topics or Topics()
        self.options = options or EventOptions()
        self.buffer_size = buffer_size
        self._producer = producer
        self._health = health
        self._counters = PublisherCounters(registry)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._abandon = threading.Event()
        self._warned: set[str] = set()
        self._reporters: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._run, name="tiffin-events", daemon=True)
        self._thread.start()

    @classmethod
    def from_settings(
        cls,
        brokers: str | Iterable[str],
        *,
        topics: Topics | None = None,
        buffer_size: int = 10_000,
        max_event_bytes: int = 1_000_000,
        include_inputs: bool = True,
        include_outputs: bool = True,
        source: str | None = None,
        delivery_timeout: float = 300.0,
        kafka_config: Mapping[str, Any] | None = None,
        registry: CollectorRegistry | None = None,
    ) -> EventPublisher:
        """A publisher with a confluent-kafka producer for ``brokers`` (``"host:port,..."``).

        Raises :class:`~tiffin.errors.FeedbackError` if confluent-kafka is missing (the
        hint names ``tiffin[kafka]``), a broker address or a setting is malformed, and
        :class:`~tiffin.errors.InvalidTopic` for a bad default topic. A broker that is
        down is no error: it is logged once and events wait for it.
        """
        kafka = require_kafka()
        address = parse_brokers(brokers)
        options = EventOptions(max_event_bytes, include_inputs, include_outputs, source)
        meanwhile = (f"events wait in memory (up to {buffer_size} messages, each for "
                     f"{delivery_timeout:g} s) and are sent when it is back")  # fmt: skip
        health = BrokerHealth(address, log, meanwhile)
        config = producer_config(address, buffer_size=buffer_size, max_bytes=max_event_bytes,
                                 delivery_timeout=delivery_timeout, error_cb=health.on_error,
                                 extra=kafka_config)  # fmt: skip
        try:
            producer = kafka.Producer(config)
        except kafka.KafkaException as exc:
            raise FeedbackError(f"Kafka refused the producer settings: {exc}") from exc
        return cls(producer, topics=topics, options=options, buffer_size=buffer_size,
                   registry=registry, health=health)  # fmt: skip

    def publish_prediction(
        self,
        model: str,
        version: str,
        request_id: str | None,
        inputs: Any,
        outputs: Any,
        metrics: Iterable[Metric] = (),
        topics: Iterable[str] = (),
    ) -> bool:
        """Queue an ``io.tiffin.predict`` event for the predictions topic and ``topics``."""
        return self._publish_new(PREDICT, model, version, request_id, inputs, outputs,
                                 metrics, topics)  # fmt: skip

    def publish_feedback(
        self,
        model: str,
        version: str,
        request_id: str | None,
        inputs: Any,
        outputs: Any,
        metrics: Iterable[Metric] = (),
        topics: Iterable[str] = (),
    ) -> bool:
        """Queue an ``io.tiffin.feedback`` event for the feedback topic and ``topics``."""
        return self._publish_new(FEEDBACK, model, version, request_id, inputs, outputs,
                                 metrics, topics)  # fmt: skip

    def publish_metrics(
        self,
        model: str,
        version: str,
        request_id: str | None,
        metrics: Iterable[Metric],
        topics: Iterable[str] = (),
    ) -> bool:
        """Queue an ``io.tiffin.metrics`` event (metrics only) for the metrics topic."""
        return self._publish_new(METRICS, model, version, request_id, NOT_GIVEN, NOT_GIVEN,
                                 metrics, topics)  # fmt: skip

    def publish(self, event: Event, topics: Iterable[str] = ()) -> bool:
        """Queue ``event`` for the default topic of its type and for ``topics``.

        Never blocks and never raises: True if queued; False if dropped (buffer full,
        publisher closed, no valid topic), which the counters record. An invalid topic
        name is logged once and skipped.
        """
        try:
            return self._enqueue(event, topics)
        except Exception as exc:  # the request path must never see an error from here
            self._counters.dropped("error")
            self._warn_once(f"error:{type(exc).__name__}", "event dropped: %s", exc)
            return False

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until every queued message is delivered or failed."""
        deadline = time.monotonic() + timeout
        while self._counters.stats().buffered:
            if time.monotonic() >= deadline:
                self._counters.sync()
                return False
            time.sleep(0.02)
        self._counters.sync()
        return True

    def close(self, timeout: float = 10.0) -> int:
        """Send what is queued for up to ``timeout`` seconds, then stop; return how many
        messages were not delivered. Later ``publish`` calls drop their events."""
        if self._closed:
            return 0
        self._closed = True
        deadline = time.monotonic() + timeout
        self._queue.put(_STOP)
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            self._abandon.set()
            self._thread.join(5)
        left = self._producer.flush(max(0.0, deadline - time.monotonic()))
        lost = self._drain() + self._purge(left)
        self._counters.sync()
        if lost:
            log.warning("%d event messages were not delivered before shutdown", lost)
        return lost

    def stats(self) -> PublisherStats:
        """Messages delivered, failed, dropped and still buffered so far."""
        return self._counters.stats()

    def _publish_new(self, kind: str, model: str, version: str, request_id: str | None,
                     inputs: Any, outputs: Any, metrics: Iterable[Metric],
                     topics: Iterable[str]) -> bool:  # fmt: skip
        try:
            event = Event(kind, model, version, request_id, inputs, outputs, tuple(metrics))
        except Exception as exc:
            self._counters.dropped("error")
            self._warn_once(f"error:{type(exc).__name__}", "event dropped: %s", exc)
            return False
        return self.publish(event, topics)

    def _enqueue(self, event: Event, extra: Iterable[str]) -> bool:
        topics = self._topics_of(event.type, extra)
        if not topics:
            return False
        if self._closed:
            self._counters.dropped("closed", len(topics))
            return False
        if not self._counters.reserve(len(topics), self.buffer_size):
            self._counters.dropped("buffer_full", len(topics))
            self._warn_once("buffer_full", "the event buffer is full (%d messages): new events "
                            "are dropped until Kafka takes some", self.buffer_size)  # fmt: skip
            return False
        self._queue.put(_Outgoing(event, topics))
        return True

    def _topics_of(self, kind: str, extra: Iterable[str]) -> tuple[str, ...]:
        """The event type's default topic, then the valid ones of ``extra``, once each."""
        default = {PREDICT: self.topics.predictions, FEEDBACK: self.topics.feedback,
                   METRICS: self.topics.metrics}.get(kind)  # fmt: skip
        if not extra and default:
            return (default,)
        names = [default] if default else []
        for name in [extra] if isinstance(extra, str) else extra:
            try:
                names.append(validate_topic(name))
            except InvalidTopic as exc:
                self._counters.dropped("invalid_topic")
                self._warn_once(f"topic:{name!r}", "%s; not sent there", exc.message)
        return tuple(dict.fromkeys(names))

    def _run(self) -> None:
        """The producer thread: encode and produce queued events in batches, serve delivery
        reports."""
        while True:
            batch = self._gather()
            for index, item in enumerate(batch):
                if item is _STOP:
                    for later in batch[index + 1 :]:
                        self._queue.put(later)  # close() counts them as dropped
                    return
                try:
                    self._send(item)
                except Exception as exc:  # keep the thread alive whatever happens
                    self._warn_once(f"thread:{type(exc).__name__}", "event thread: %s", exc)
            try:
                self._producer.poll(0)
                self._counters.sync()
            except Exception as exc:
                self._warn_once(f"thread:{type(exc).__name__}", "event thread: %s", exc)

    def _gather(self) -> list[Any]:
        """The events queued now: wait up to 50 ms for one, then :data:`GATHER_SECONDS`
        for more (not after a stop, nor while the buffer is filling up)."""
        try:
            items = [self._queue.get(timeout=0.05)]
        except queue.Empty:
            return []
        if items[0] is not _STOP and self._counters.stats().buffered < self.buffer_size // 2:
            time.sleep(GATHER_SECONDS)
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items

    def _send(self, item: _Outgoing) -> None:
        try:
            body = encode_event(item.event, self.options)
        except Exception as exc:
            self._counters.release(len(item.topics))
            self._counters.dropped("error", len(item.topics))
            self._warn_once(f"encode:{type(exc).__name__}", "event not encodable: %s", exc)
            return
        for topic in item.topics:
            self._produce(topic, body, item.event.key)

    def _produce(self, topic: str, body: bytes, key: bytes) -> None:
        report = self._reporters.get(topic)
        if report is None:
            report = self._reporters[topic] = functools.partial(self._on_delivery, topic)
        while True:
            try:
                self._producer.produce(topic, value=body, key=key, headers=HEADERS,
                                       on_delivery=report)  # fmt: skip
                return
            except BufferError:  # librdkafka's own queue is full: wait for room
                if self._abandon.is_set():
                    break
                self._producer.poll(0.1)
            except Exception as exc:  # e.g. a message Kafka refuses outright
                self._warn_once(f"produce:{topic}", "event to %s not sent: %s", topic, exc)
                break
        self._counters.release(1)
        self._counters.dropped("error")

    def _on_delivery(self, topic: str, error: Any, message: Any) -> None:
        self._counters.delivered(topic, error is None)
        if error is None:
            if self._health is not None:
                self._health.on_success()
        else:
            self._warn_once(f"failed:{topic}", "events to %s failed: %s", topic, error)

    def _drain(self) -> int:
        """Drop what is still queued after the thread stopped; return how many messages."""
        dropped = 0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return dropped
            if isinstance(item, _Outgoing):
                dropped += len(item.topics)
                self._counters.release(len(item.topics))
                self._counters.dropped("closed", len(item.topics))

    def _purge(self, left: int) -> int:
        """Fail the messages librdkafka still holds, so that their reports are counted."""
        if left and hasattr(self._producer, "purge"):
            self._producer.purge()
            self._producer.poll(0)
        return left

    def _warn_once(self, key: str, message: str, *args: Any) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message, *args)
