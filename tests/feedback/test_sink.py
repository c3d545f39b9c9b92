"""The metrics sink against a real broker (Tansu) and a real PostgreSQL: rows land, a
SIGKILLed sink restarts without losing or doubling a row, SIGTERM stops it cleanly,
malformed events are skipped and counted, unreachable services are retried."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from kafkatests import FAST_GROUP, produce, unique

from servers import TIFFIN, free_port
from services import Broker, Postgres, stop_process
from tiffin.events import METRICS, Event, EventPublisher, Topics, encode_event
from tiffin.metrics import counter, gauge, timer
from tiffin.sink import SinkProgress, SinkSettings, SinkSummary, run_sink

TABLE = "tiffin_metrics"


def count_rows(database: str, query: str = f"SELECT count(*) FROM {TABLE}") -> int:
    with psycopg.connect(database) as connection:
        try:
            return connection.execute(query).fetchone()[0]
        except psycopg.errors.UndefinedTable:
            return 0


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)


@dataclass
class Sink:
    """A `tiffin metrics-sink` process writing its output to a log file."""

    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 20) -> None:
        wait_until(lambda: text in self.log or self.process.poll() is not None, timeout,
                   f"{text!r} in the sink's output:\n{self.log}")  # fmt: skip
        assert text in self.log, self.log

    def stop(self, sig: int = signal.SIGTERM) -> int:
        stop_process(self.process, sig)
        return self.process.returncode


def start_sink(broker: str, database: str, topics: list[str], group: str, log_dir: Path) -> Sink:
    log_path = log_dir / f"sink-{unique('run')}.log"
    command = [
        *TIFFIN,
        "metrics-sink",
        "--kafka-broker",
        broker,
        "--database",
        database,
        "--group",
        group,
        "--batch-size",
        "50",
        "--report-every",
        "0.5",
        "--no-progress",
    ]
    for key, value in FAST_GROUP.items():
        command += ["--kafka-config", f"{key}={value}"]
    for topic in topics:
        command += ["--topic", topic]
    process = subprocess.Popen(command, stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    return Sink(process, log_path)  # fmt: skip


def sink_settings(broker: Broker, database: str, names: Topics) -> SinkSettings:
    return SinkSettings(broker.address, database, topics=names.all(), group=unique("g"),
                        kafka_config=FAST_GROUP, report_every=0.5)  # fmt: skip


def run_in_thread(settings: SinkSettings, done: Callable[[], bool], events: int = 0) -> SinkSummary:
    """Run the sink in this process until ``done()`` or it has read ``events`` events."""
    stop, progress = threading.Event(), SinkProgress()
    thread = threading.Thread(target=run_sink, args=(settings,),
                              kwargs={"stop": stop, "progress": progress})  # fmt: skip
    thread.start()
    try:
        wait_until(lambda: not thread.is_alive() or done() or 0 < events <= progress.summary.events,
                   30, "the sink's work")  # fmt: skip
    finally:
        stop.set()
        thread.join(15)
    return progress.summary


def test_published_events_become_rows(broker: Broker, database: str):
    names = Topics(unique("predictions"), unique("feedback"), unique("metrics"))
    events = EventPublisher.from_settings(broker.address, topics=names)
    events.publish_prediction("iris", "1", "r1", [[1, 2]], [0],
                              [gauge("confidence", 0.8, species="setosa")])  # fmt: skip
    events.publish_feedback("iris", "1", "r1", {"y_true": [0]}, None,
                            [gauge("accuracy", 1.0), counter("feedback_items", 3)])  # fmt: skip
    events.publish_metrics("iris", "1", None, [timer("refit", 1500)])
    events.publish_prediction("iris", "1", "r2", [[1, 2]], [0])  # no metrics: no row
    assert events.close(15) == 0

    first = run_in_thread(sink_settings(broker, database, names), lambda: count_rows(database) == 4)
    assert (first.events, first.rows, first.duplicates, first.malformed) == (4, 4, 0, 0)
    # another group reads every event again: nothing is stored twice
    again = run_in_thread(sink_settings(broker, database, names), lambda: False, events=4)
    assert (again.events, again.rows, again.duplicates) == (4, 0, 4)
    assert count_rows(database) == 4

    with psycopg.connect(database) as connection:
        columns = "model, version, name, type, value, labels, event_type, request_id"
        rows = connection.execute(f"SELECT {columns} FROM {TABLE} ORDER BY name").fetchall()
        indexes = connection.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s", (TABLE,)
        ).fetchall()
    assert rows == [
        ("iris", "1", "accuracy", "GAUGE", 1.0, {}, "io.tiffin.feedback", "r1"),
        ("iris", "1", "confidence", "GAUGE", 0.8, {"species": "setosa"}, "io.tiffin.predict", "r1"),
        ("iris", "1", "feedback_items", "COUNTER", 3.0, {}, "io.tiffin.feedback", "r1"),
        ("iris", "1", "refit", "TIMER", 1500.0, {}, "io.tiffin.metrics", None),
    ]  # fmt: skip
    assert any("(event_id, metric_index)" in index for (index,) in indexes)  # the unique key
    assert any('("time" DESC)' in index for (index,) in indexes)  # plain table: time index


class Feeder:
    """Produces metric events to a topic until stopped, remembering their ids."""

    def __init__(self, address: str, topic: str) -> None:
        from confluent_kafka import Producer

        self.producer = Producer({"bootstrap.servers": address, "linger.ms": 5, "log_level": 0})
        self.topic = topic
        self.ids: list[str] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self) -> None:
        while not self.done.is_set():
            for _ in range(5):
                n = len(self.ids)
                metrics = (gauge("accuracy", n / 1000), counter("rows", 1))
                event = Event(METRICS, "iris", "1", f"r{n}", metrics=metrics)
                self.producer.produce(self.topic, encode_event(event), key=event.key)
                self.ids.append(event.id)
            self.producer.poll(0)
            time.sleep(0.02)
        assert self.producer.flush(30) == 0

    def stop(self) -> None:
        self.done.set()
        self.thread.join(60)


def test_a_killed_sink_restarts_without_losing_or_doubling_a_row(
    broker: Broker, database: str, tmp_path: Path
):
    topic, group = unique("metrics"), unique("sink")
    feeder = Feeder(broker.address, topic)
    try:
        first = start_sink(broker.address, database, [topic], group, tmp_path)
        wait_until(lambda: count_rows(database) >= 300, 40, "the first rows")
        first.stop(signal.SIGKILL)  # mid-run: no clean-up, no last commit
        time.sleep(0.5)
    finally:
        feeder.stop()
    bad_metric = {"name": "a", "type": "GAUGE", "value": "high"}
    bad_event = {"specversion": "1.0", "id": "x", "type": "io.tiffin.metrics",
                 "time": "2025-01-01T00:00:00Z",
                 "data": {"model": "m", "metrics": [bad_metric]}}  # fmt: skip
    malformed = [b"not json", b'{"specversion": "1.0"}', json.dumps(bad_event).encode()]
    produce(broker.address, topic, malformed)

    second = start_sink(broker.address, database, [topic], group, tmp_path)
    expected = 2 * len(feeder.ids)
    wait_until(lambda: count_rows(database) >= expected, 60, f"{expected} rows:\n{second.log}")
    second.wait_for("3 malformed")
    assert second.stop(signal.SIGTERM) == 0, second.log

    assert count_rows(database) == expected
    distinct = f"SELECT count(DISTINCT (event_id, metric_index)) FROM {TABLE}"
    assert count_rows(database, distinct) == expected
    with psycopg.connect(database) as connection:
        stored = {row[0] for row in connection.execute(f"SELECT event_id FROM {TABLE}")}
    assert stored == set(feeder.ids)
    assert "SIGTERM: finishing the current batch" in second.log
    assert "skipping malformed event" in second.log
    assert "skipped 3 malformed events" in second.log  # the summary at exit


def test_a_database_down_at_start_is_said_once_and_retried(broker: Broker, tmp_path: Path):
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    sink = start_sink(broker.address, down, [unique("metrics")], unique("g"), tmp_path)
    sink.wait_for("is unreachable")
    time.sleep(2.5)  # a few retries
    assert sink.process.poll() is None
    assert sink.stop(signal.SIGTERM) == 0, sink.log
    assert sink.log.count("is unreachable") == 1
    assert "retrying with backoff" in sink.log


def test_a_broker_down_at_start_is_said_once_and_retried(database: str, tmp_path: Path):
    sink = start_sink(f"127.0.0.1:{free_port()}", database, [unique("m")], unique("g"), tmp_path)
    sink.wait_for("is unreachable")
    time.sleep(2)
    assert sink.process.poll() is None
    assert sink.stop(signal.SIGINT) == 0, sink.log
    assert sink.log.count("is unreachable") == 1


@pytest.mark.parametrize("user_and_database", ["postgres@.../nope", "nobody@.../postgres"])
def test_a_database_that_refuses_us_is_fatal(postgres: Postgres, user_and_database: str):
    user, database = user_and_database.split("@.../")
    url = postgres.url(database).replace("postgres@", f"{user}@")
    command = [*TIFFIN, "metrics-sink", "--kafka-broker", "127.0.0.1:1", "--database", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 10, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "refused the connection" in errors[0]
    assert "does not exist" in errors[0]
    assert "hint: check the user, password and database name" in done.stderr


def test_a_database_lost_mid_run_is_waited_for_and_nothing_is_lost(
    broker: Broker, own_postgres: Postgres, caplog
):
    database = own_postgres.url()
    topic = unique("metrics")

    def send(first: int, count: int) -> list[str]:
        events = [Event(METRICS, "iris", "1", f"r{n}", metrics=(counter("rows", 1),))
                  for n in range(first, first + count)]  # fmt: skip
        produce(broker.address, topic, [encode_event(event) for event in events])
        return [event.id for event in events]

    settings = SinkSettings(broker.address, database, topics=(topic,), group=unique("g"),
                            kafka_config=FAST_GROUP, report_every=0.5)  # fmt: skip
    stop, progress = threading.Event(), SinkProgress()
    thread = threading.Thread(target=run_sink, args=(settings,),
                              kwargs={"stop": stop, "progress": progress})  # fmt: skip
    with caplog.at_level(logging.INFO, logger="tiffin.sink"):
        thread.start()
        try:
            sent = send(0, 20)
            wait_until(lambda: count_rows(database) == 20, 30, "the first 20 rows")
            own_postgres.halt()
            sent += send(20, 30)  # read while the database is away: held, not committed
            wait_until(lambda: "is unreachable" in caplog.text, 20, "the outage to be said")
            own_postgres.start()
            wait_until(lambda: count_rows(database) == 50, 40, "all 50 rows")
        finally:
            stop.set()
            thread.join(15)
    assert caplog.text.count("is unreachable") == 1
    assert "is reachable again" in caplog.text
    with psycopg.connect(database) as connection:
        assert {row[0] for row in connection.execute(f"SELECT event_id FROM {TABLE}")} == set(sent)
