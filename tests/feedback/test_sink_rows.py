"""The sink without services: events to rows, malformed events, settings, CLI errors."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from servers import TIFFIN
from tiffin.errors import SinkError
from tiffin.events import FEEDBACK, METRICS, PREDICT, Event, encode_event
from tiffin.metrics import counter, gauge, timer
from tiffin.sink import MalformedEvent, SinkSettings, rows_of


def test_every_kind_of_event_gives_its_metric_rows():
    event = Event(FEEDBACK, "iris", "2", "req-9", [[1]], [0],
                  (gauge("accuracy", 0.9, split="test"), timer("fit", 12.0)))  # fmt: skip
    first, second = rows_of(encode_event(event))
    assert (first.model, first.version, first.name, first.type, first.value) == (
        "iris", "2", "accuracy", "GAUGE", 0.9,
    )  # fmt: skip
    assert first.labels == {"split": "test"} and first.event_type == "io.tiffin.feedback"
    assert (first.event_id, first.metric_index, second.metric_index) == (event.id, 0, 1)
    assert first.time == event.time and first.request_id == "req-9"
    metrics_only = Event(METRICS, "m", "1", None, metrics=(counter("n"),))
    assert [row.name for row in rows_of(encode_event(metrics_only))] == ["n"]
    assert rows_of(encode_event(Event(PREDICT, "m", "1", "r", [1], [2]))) == []


def good() -> dict:
    return orjson.loads(encode_event(Event(METRICS, "m", "1", "r", metrics=(counter("n"),))))


def broken(**changes) -> bytes:
    event = good()
    for path, value in changes.items():
        target = event
        *parents, last = path.split("__")
        for parent in parents:
            target = target[parent]
        target[last] = value
    return orjson.dumps(event)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"", "empty message"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object but list"),
        (broken(specversion="0.3"), "not a CloudEvent 1.0"),
        (broken(type="com.example.x"), "not a tiffin event"),
        (broken(id=""), "'id'"),
        (broken(time="yesterday"), "not an RFC 3339 timestamp"),
        (broken(time="2025-01-01T00:00:00"), "no time zone"),
        (broken(data=[1]), "'data' is not an object"),
        (broken(data__model=None), "'data.model'"),
        (broken(data__metrics={"truncated": True}), "truncated by the publisher"),
        (broken(data__metrics=[{"name": "x", "type": "GAUGE", "value": "high"}]),
         "must be a number"),
    ],
)  # fmt: skip
def test_a_malformed_event_says_why(value, reason):
    with pytest.raises(MalformedEvent, match=reason):
        rows_of(value)


def test_settings_are_checked_before_anything_connects():
    settings = SinkSettings("k:9092", "postgresql://u:secret@db:5432/metrics")
    assert settings.topics == ("tiffin-predictions", "tiffin-feedback", "tiffin-metrics")
    assert settings.where == "db:5432/metrics"
    with pytest.raises(SinkError, match=r"postgresql:// URL, got 'mysql://u:\*\*\*@h/x'"):
        SinkSettings("k:9092", "mysql://u:secret@h/x")
    with pytest.raises(SinkError, match="not a plain SQL name"):
        SinkSettings("k:9092", "postgresql://h/x", table="metrics; DROP TABLE x")
    with pytest.raises(SinkError, match="no topic"):
        SinkSettings("k:9092", "postgresql://h/x", topics=())


def sink(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TIFFIN, "metrics-sink", *args], capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def test_a_fatal_setting_is_one_line_a_hint_and_exit_10():
    done = sink("--kafka-broker", "localhost:9092", "--database", "mysql://u:secret@h/db")
    assert done.returncode == 10
    lines = done.stderr.splitlines()
    assert lines[0].startswith("error: the database must be a postgresql:// URL")
    assert lines[1].startswith("hint: e.g. postgresql://")
    assert "secret" not in done.stderr and len(lines) == 2
    bad_broker = sink("--kafka-broker", "localhost", "--database", "postgresql://h/x")
    assert bad_broker.returncode == 10 and "is not HOST:PORT" in bad_broker.stderr


def test_help_names_every_option():
    text = sink("--help").stdout
    for option in ("--kafka-broker", "--database", "--topic", "--group", "--table",
                   "--batch-size", "--kafka-config", "--progress", "KAFKA_BROKER"):  # fmt: skip
        assert option in text


class FakeConnection:
    """Answers the catalog queries of the TimescaleDB check; records what it is asked."""

    def __init__(self, installed: bool, available: bool, creatable: bool) -> None:
        self.answers = {"pg_extension": installed, "pg_available_extensions": available}
        self.creatable = creatable
        self.statements: list[str] = []

    def execute(self, query: str, params: object = None) -> FakeConnection:
        self.statements.append(query)
        if query.startswith("CREATE EXTENSION") and not self.creatable:
            raise RuntimeError('permission denied to create extension "timescaledb"')
        found = any(f"FROM {table} " in query and yes for table, yes in self.answers.items())
        self.row = (1,) if found else None
        return self

    def fetchone(self) -> tuple[int] | None:
        return self.row

    def transaction(self):
        import contextlib

        return contextlib.nullcontext()


@pytest.mark.parametrize(
    ("installed", "available", "creatable", "hypertable", "created"),
    [(True, True, True, True, False), (False, True, True, True, True),
     (False, True, False, False, True), (False, False, True, False, False)],
)  # fmt: skip
def test_timescaledb_is_used_when_installed_or_installable(
    installed, available, creatable, hypertable, created
):
    from tiffin.sink.database import _timescale

    connection = FakeConnection(installed, available, creatable)
    assert _timescale(connection) is hypertable
    tried = any(s.startswith("CREATE EXTENSION IF NOT EXISTS timescaledb")
                for s in connection.statements)  # fmt: skip
    assert tried is created


def test_without_psycopg_the_error_names_the_extra(monkeypatch):
    from tiffin.sink.database import MetricsTable

    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(SinkError) as caught:
        MetricsTable("postgresql://h/x", "t", "h/x").open()
    assert caught.value.hint == "pip install 'tiffin[sink]'"
