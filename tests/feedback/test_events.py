"""Events: the CloudEvents shape, the size cap, leaving inputs out, topic names, and the
publisher's buffer with the in-memory producer (the real broker is in test_publisher.py)."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from datetime import datetime

import numpy as np
import pytest
from prometheus_client import CollectorRegistry, generate_latest

import tiffin.events
from tiffin.errors import FeedbackError, InvalidTopic
from tiffin.events import (
    FEEDBACK,
    METRICS,
    PREDICT,
    Event,
    EventOptions,
    EventPublisher,
    Topics,
    encode_event,
    parse_brokers,
    validate_topic,
)
from tiffin.events.fake import MemoryProducer
from tiffin.metrics import counter, gauge


def test_the_public_surface_does_not_drift():
    assert sorted(tiffin.events.__all__) == [
        "CONTENT_TYPE", "EVENT_TYPES", "Event", "EventOptions", "EventPublisher", "FEEDBACK",
        "METRICS", "PREDICT", "PublisherStats", "Topics", "encode_event", "parse_brokers",
        "validate_topic",
    ]  # fmt: skip


def decoded(event: Event, **options) -> dict:
    return json.loads(encode_event(event, EventOptions(**options)))


def test_an_event_is_a_cloudevent_with_the_prediction():
    event = Event(PREDICT, "iris", "1", "req-1", np.array([[5.1, 3.5]]), [0],
                  (gauge("confidence", 0.9, split="a"),))  # fmt: skip
    body = decoded(event)
    assert body["specversion"] == "1.0"
    assert uuid.UUID(body["id"]).version == 4
    assert body["source"] == "/tiffin/models/iris"
    assert body["type"] == "io.tiffin.predict"
    assert body["datacontenttype"] == "application/json"
    assert datetime.fromisoformat(body["time"].replace("Z", "+00:00")).tzinfo is not None
    assert body["data"] == {
        "model": "iris", "version": "1", "request_id": "req-1", "input": [[5.1, 3.5]],
        "output": [0],
        "metrics": [{"name": "confidence", "type": "GAUGE", "value": 0.9,
                     "labels": {"split": "a"}}],
    }  # fmt: skip
    assert event.key == b"req-1"
    assert decoded(event, source="tiffin://host-1")["source"] == "tiffin://host-1"


def test_a_metrics_event_has_no_input_or_output():
    body = decoded(Event(METRICS, "iris", "1", None, metrics=(counter("rows", 2),)))
    assert set(body["data"]) == {"model", "version", "request_id", "metrics"}
    assert Event(METRICS, "iris", "1", id="abc").key == b"abc"  # no request: the event id


def test_inputs_and_outputs_can_be_left_out():
    event = Event(FEEDBACK, "iris", "1", "r", [[1, 2]], [1])
    assert "input" not in decoded(event, include_inputs=False)["data"]
    assert decoded(event, include_inputs=False)["data"]["output"] == [1]
    assert set(decoded(event, include_inputs=False, include_outputs=False)["data"]) == {
        "model", "version", "request_id", "metrics",
    }  # fmt: skip


def test_an_oversized_input_becomes_a_marker_and_the_event_stays_valid():
    event = Event(PREDICT, "iris", "1", "r", list(range(20_000)), [1, 2, 3])
    body = encode_event(event, EventOptions(max_bytes=10_000))
    assert len(body) <= 10_000
    data = json.loads(body)["data"]
    assert data["input"]["truncated"] is True
    assert data["input"]["bytes"] > 10_000
    assert data["output"] == [1, 2, 3]
    assert data["truncated"] == ["input"]


def test_the_larger_part_goes_first_then_the_other_then_metrics():
    options = EventOptions(max_bytes=8000)
    one = json.loads(encode_event(Event(PREDICT, "m", "1", "r", "i" * 5000, "o" * 7000), options))
    assert one["data"]["truncated"] == ["output"] and one["data"]["input"] == "i" * 5000
    both = json.loads(encode_event(Event(PREDICT, "m", "1", "r", "i" * 9000, "o" * 8500), options))
    assert both["data"]["truncated"] == ["input", "output"]
    many = tuple(gauge(f"m{i}", i) for i in range(200))
    only = json.loads(encode_event(Event(METRICS, "m", "1", metrics=many),
                                   EventOptions(max_bytes=4096)))  # fmt: skip
    assert only["data"]["truncated"] == ["metrics"]
    assert only["data"]["metrics"]["truncated"] is True


def test_what_json_cannot_hold_is_a_marker_not_an_error():
    body = decoded(Event(PREDICT, "m", "1", "r", [1], object()))
    assert body["data"]["output"]["truncated"] is True
    assert "not JSON-serializable: object" in body["data"]["output"]["reason"]
    assert body["data"]["truncated"] == ["output"]


def test_long_names_are_clipped_to_keep_the_cap():
    body = encode_event(Event(PREDICT, "m", "1", "r" * 100_000, "i" * 9000, "o"),
                        EventOptions(max_bytes=4096))  # fmt: skip
    assert len(body) <= 4096
    assert len(json.loads(body)["data"]["request_id"]) == 256


def test_a_tiny_cap_is_refused():
    with pytest.raises(FeedbackError, match="too small"):
        EventOptions(max_bytes=100)


@pytest.mark.parametrize(
    ("name", "reason"),
    [("", "empty"), (".", "not allowed"), ("..", "not allowed"), ("a b", "holds ' '"),
     ("préd", "holds 'é'"), ("t/1", "holds '/'"), ("x" * 250, "250 characters long"),
     (7, "a string, not int")],
)  # fmt: skip
def test_illegal_topic_names_are_refused(name, reason):
    with pytest.raises(InvalidTopic) as caught:
        validate_topic(name)
    assert reason in caught.value.message


def test_legal_topic_names():
    for name in ("tiffin-predictions", "a.b_c-D9", "x" * 249, "..."):
        assert validate_topic(name) == name
    with pytest.raises(InvalidTopic):
        Topics(predictions="bad topic")


def test_broker_addresses():
    assert parse_brokers("a:9092, b:9093") == "a:9092,b:9093"
    assert parse_brokers(["[::1]:9092", "PLAINTEXT://k:1"]) == "[::1]:9092,PLAINTEXT://k:1"
    for bad in ("", " , ", "localhost", "a:99999", "a:b", "a:1,b", "http://"):
        with pytest.raises(FeedbackError):
            parse_brokers(bad)


# ---- the publisher, with the in-memory producer -------------------------------------


def publisher(producer: MemoryProducer, **kwargs) -> EventPublisher:
    return EventPublisher(producer, topics=Topics("p", "f", "m"), **kwargs)


def test_events_go_to_their_default_topic_and_to_named_ones():
    producer = MemoryProducer()
    events = publisher(producer)
    assert events.publish_prediction("iris", "1", "r1", [1], [2], [gauge("a", 1)], ["x", "p"])
    assert events.publish_feedback("iris", "1", "r1", [1], [2])
    assert events.publish_metrics("iris", "1", None, [counter("n")])
    assert events.flush(5)
    assert [m.topic() for m in producer.sent] == ["p", "x", "f", "m"]
    assert producer.sent[0].headers() == [("content-type", b"application/cloudevents+json")]
    assert producer.sent[0].key() == b"r1"
    assert producer.sent[0].value() == producer.sent[1].value()
    assert events.stats().delivered == 4
    assert events.close(1) == 0


def test_a_full_buffer_drops_and_counts_without_blocking(caplog):
    registry = CollectorRegistry()
    producer = MemoryProducer(up=False)
    events = publisher(producer, buffer_size=10, registry=registry)
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="tiffin.events"):
        accepted = [events.publish_prediction("m", "1", str(i), [i], [i]) for i in range(25)]
    assert time.perf_counter() - started < 0.5
    assert accepted == [True] * 10 + [False] * 15
    assert events.stats().dropped == 15 and events.stats().buffered == 10
    assert 'tiffin_events_dropped_total{reason="buffer_full"} 15.0' in _text(registry)
    assert sum("buffer is full" in r.message for r in caplog.records) == 1
    producer.up = True
    assert events.flush(5)
    assert events.stats().delivered == 10
    assert 'tiffin_events_delivered_total{topic="p"} 10.0' in _text(registry)
    assert events.publish_prediction("m", "1", "again", [1], [1])  # room again
    events.close(1)


def test_an_invalid_named_topic_is_skipped_and_counted(caplog):
    producer = MemoryProducer()
    events = publisher(producer)
    with caplog.at_level(logging.WARNING, logger="tiffin.events"):
        for _ in range(3):
            assert events.publish_prediction("m", "1", "r", [1], [1], topics=["ok", "bad topic"])
    events.flush(5)
    assert [m.topic() for m in producer.sent] == ["p", "ok"] * 3
    assert events.stats().dropped == 3
    assert sum("bad topic" in r.message for r in caplog.records) == 1


def test_publish_never_raises():
    class Broken(MemoryProducer):
        def produce(self, *args, **kwargs):
            raise RuntimeError("librdkafka exploded")

    events = publisher(Broken())
    assert events.publish_prediction("m", "1", "r", [1], [1])  # queued; fails in the thread
    assert events.publish(None, ["x"]) is False  # type: ignore[arg-type]
    assert events.publish_prediction("m", "1", "r", [1], [1], metrics=[object()]) is True
    assert events.flush(5)
    assert events.stats().dropped == 3  # two failed to produce, one was not an event
    assert events.stats().delivered == 0


def test_close_sends_what_it_can_then_counts_the_rest():
    producer = MemoryProducer(up=False)
    events = publisher(producer)
    for i in range(5):
        events.publish_metrics("m", "1", str(i), [counter("n")])
    started = time.monotonic()
    assert events.close(timeout=0.3) == 5
    assert time.monotonic() - started < 2
    assert events.stats().failed == 5 and events.stats().buffered == 0
    assert events.publish_metrics("m", "1", "late", [counter("n")]) is False
    assert events.stats().dropped == 1


def _text(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode()


def test_without_confluent_kafka_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "confluent_kafka", None)  # what an absent package does
    with pytest.raises(FeedbackError) as caught:
        EventPublisher.from_settings("localhost:9092")
    assert caught.value.message == "Kafka events need confluent-kafka, which is not installed"
    assert caught.value.hint == "pip install 'tiffin[kafka]'"
