"""The model thread: under load a request waits only for the requests ahead of it, and two
hung calls get the worker replaced."""

from __future__ import annotations

import threading
import time

import httpx

from servers import FIXTURES, start_server

MISBEHAVING = FIXTURES / "single_file" / "misbehaving.py"

SERVICE = 0.05
"""Seconds each prediction takes (the model sleeps), so the queue drains at 20 requests/s."""

BUSY = 6
"""Clients sending requests back to back, keeping the model busy all the time."""

NEWCOMERS = 6
"""Clients that open a fresh connection each and send one request while the busy ones run."""


def hammer(url: str, stop: threading.Event, failures: list[str]) -> None:
    """Send requests back to back on one keep-alive connection until ``stop`` is set."""
    with httpx.Client(base_url=url, timeout=30) as client:
        while not stop.is_set():
            response = client.post("/invocations", json={"sleep": SERVICE})
            if response.status_code != 200:
                failures.append(response.text)


def arrive(url: str, start: threading.Barrier, latencies: list[float], failures: list[str]) -> None:
    """Connect and send one request at the same moment as the other newcomers."""
    with httpx.Client(base_url=url, timeout=30) as client:
        start.wait()
        sent = time.monotonic()
        response = client.post("/invocations", json={"sleep": SERVICE})
        latencies.append(time.monotonic() - sent)
        if response.status_code != 200:
            failures.append(response.text)


def test_a_new_connection_waits_only_for_the_requests_queued_ahead_of_it(tmp_path):
    server = start_server(MISBEHAVING, tmp_path)
    stop = threading.Event()
    failures: list[str] = []
    latencies: list[float] = []
    busy = [threading.Thread(target=hammer, args=(server.url, stop, failures))
            for _ in range(BUSY)]  # fmt: skip
    start = threading.Barrier(NEWCOMERS)
    newcomers = [threading.Thread(target=arrive, args=(server.url, start, latencies, failures))
                 for _ in range(NEWCOMERS)]  # fmt: skip
    try:
        server.wait_ready()
        for thread in busy:
            thread.start()
        time.sleep(1.0)  # the model is busy and every busy client has a request queued
        for thread in newcomers:
            thread.start()
        for thread in newcomers:
            thread.join(60)
    finally:
        stop.set()
        for thread in busy:
            thread.join(60)
        server.stop()
    assert not failures
    assert len(latencies) == NEWCOMERS
    # FIFO: at most every busy request and every other newcomer is served first, about
    # 12 x 50 ms = 0.6 s. Served in batches instead, the last newcomer waits ~3 s.
    queue_ahead = (BUSY + NEWCOMERS) * SERVICE
    assert max(latencies) < 1.5 * queue_ahead, sorted(latencies)


def test_a_second_hung_call_restarts_the_worker(tmp_path):
    server = start_server(MISBEHAVING, tmp_path, "--timeout", "1")
    try:
        server.wait_ready()
        first = server.client.post("/invocations", json={"sleep": 60})
        assert first.status_code == 504
        assert server.client.post("/invocations", json={"sleep": 0}).status_code == 200
        assert "a fresh model thread serves the requests behind it" in server.log
        second = server.client.post("/invocations", json={"sleep": 60})
        assert second.status_code == 504
        server.wait_recovered()  # a fresh worker takes over
        assert "restarting this worker" in server.log
    finally:
        server.stop()
