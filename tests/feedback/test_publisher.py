"""The event publisher against a real Kafka-protocol broker (Tansu), read back with
confluent-kafka; the broker killed and started again while events are published."""

from __future__ import annotations

import json
import logging
import time

from kafkatests import consume, unique
from prometheus_client import CollectorRegistry, generate_latest

from services import Broker
from tiffin.events import EventPublisher, Topics
from tiffin.metrics import counter, gauge

QUICK = {"delivery_timeout": 60.0}


def topics() -> Topics:
    return Topics(unique("predictions"), unique("feedback"), unique("metrics"))


def test_events_arrive_on_the_default_and_the_named_topics(broker: Broker):
    names, extra = topics(), unique("audit")
    events = EventPublisher.from_settings(broker.address, topics=names, **QUICK)
    events.publish_prediction("iris", "1", "req-1", [[5.1, 3.5, 1.4, 0.2]], [0],
                              [gauge("confidence", 0.9)], topics=[extra])  # fmt: skip
    events.publish_feedback("iris", "1", "req-1", {"y_true": [0]}, {"accuracy": 1.0},
                            [gauge("accuracy", 1.0)])  # fmt: skip
    events.publish_metrics("iris", "1", None, [counter("drift_alerts", 2, feature="sepal")])
    assert events.close(timeout=15) == 0
    assert events.stats().delivered == 4

    (prediction,) = consume(broker.address, [names.predictions], 1)
    body = json.loads(prediction.value())
    assert body["type"] == "io.tiffin.predict"
    assert body["data"]["input"] == [[5.1, 3.5, 1.4, 0.2]] and body["data"]["output"] == [0]
    assert prediction.key() == b"req-1"
    assert dict(prediction.headers())["content-type"] == b"application/cloudevents+json"
    (copy,) = consume(broker.address, [extra], 1)
    assert copy.value() == prediction.value()
    (feedback,) = consume(broker.address, [names.feedback], 1)
    assert json.loads(feedback.value())["data"]["metrics"][0]["name"] == "accuracy"
    (metrics,) = consume(broker.address, [names.metrics], 1)
    assert json.loads(metrics.value())["data"]["metrics"][0]["labels"] == {"feature": "sepal"}


def test_a_broker_lost_mid_run_never_slows_publish_and_gets_the_buffer_when_back(
    own_broker: Broker, caplog
):
    registry = CollectorRegistry()
    names = topics()
    events = EventPublisher.from_settings(own_broker.address, topics=names, buffer_size=50,
                                          registry=registry, **QUICK)  # fmt: skip
    for i in range(5):
        events.publish_prediction("iris", "1", f"before-{i}", [i], [i])
    assert events.flush(15) and events.stats().delivered == 5

    own_broker.kill()
    with caplog.at_level(logging.INFO, logger="tiffin.events"):
        slowest, accepted = _publish_timed(events, 80)
        time.sleep(2)  # librdkafka notices, retries, reports the outage
        assert slowest < 0.2, f"publish took {slowest * 1000:.1f} ms with the broker down"
        assert len(accepted) == 50  # the buffer bound; the other 30 were dropped
        assert events.stats().dropped == 30
        assert 'tiffin_events_dropped_total{reason="buffer_full"} 30.0' in _text(registry)

        own_broker.start()  # same port, empty: the topic is created again when asked for
        assert events.flush(30), events.stats()
    assert events.stats().delivered == 55 and events.stats().failed == 0
    unreachable = [r for r in caplog.records if "is unreachable" in r.message]
    assert len(unreachable) == 1, [r.message for r in unreachable]
    assert any("reachable again" in r.message for r in caplog.records)

    read = consume(own_broker.address, [names.predictions], 50)
    assert {json.loads(m.value())["data"]["request_id"] for m in read} == set(accepted)
    events.close(5)


def test_a_broker_down_at_start_is_logged_once_and_publish_goes_on(caplog):
    from servers import free_port

    with caplog.at_level(logging.INFO, logger="tiffin.events"):
        events = EventPublisher.from_settings(f"127.0.0.1:{free_port()}", topics=topics(),
                                              buffer_size=100, **QUICK)  # fmt: skip
        slowest, accepted = _publish_timed(events, 20)
        time.sleep(1.5)
        _publish_timed(events, 20)
        time.sleep(0.5)
        assert slowest < 0.2 and len(accepted) == 20
        started = time.monotonic()
        assert events.close(timeout=1) == 40  # not delivered; counted, not hanging
    assert time.monotonic() - started < 5
    assert sum("is unreachable" in r.message for r in caplog.records) == 1
    assert events.stats().failed == 40


def _publish_timed(events: EventPublisher, count: int) -> tuple[float, list[str]]:
    """Publish ``count`` predictions; the slowest call and the request ids accepted."""
    slowest, accepted = 0.0, []
    for i in range(count):
        request = unique("during")
        started = time.perf_counter()
        if events.publish_prediction("iris", "1", request, [[i] * 4], [i], [counter("n")]):
            accepted.append(request)
        slowest = max(slowest, time.perf_counter() - started)
    return slowest, accepted


def _text(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode()
