"""A real Prometheus scrapes model-reported metrics written by two worker processes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

from servers import free_port

WORKER = """
from tiffin.metrics import counter, gauge, timer
from tiffin.metrics.prometheus import MetricsRecorder

MetricsRecorder("iris", "1").record([counter("predictions", {n}), gauge("accuracy", 0.{n}),
                                     timer("latency", 20)])
"""


def test_prometheus_sees_the_sum_of_the_workers(tmp_path: Path, prometheus):
    metrics_dir = tmp_path / "multiproc"
    metrics_dir.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "PATH": "/usr/bin:/bin"}
    for n in (3, 4):
        subprocess.run([sys.executable, "-c", WORKER.format(n=n)], env=env, check=True,
                       timeout=60)  # fmt: skip
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics_dir))
    port = free_port()
    server, thread = start_http_server(port, "127.0.0.1", registry=registry)
    try:
        scraper = prometheus([f"127.0.0.1:{port}"])
        found = _query_until(scraper, 'predictions_total{model="iris",version="1"}')
        assert float(found[0]["value"][1]) == 7.0
        (latency,) = scraper.query("latency_seconds_count")
        assert float(latency["value"][1]) == 2.0
        (accuracy,) = scraper.query("accuracy")
        assert float(accuracy["value"][1]) == 0.4
    finally:
        server.shutdown()
        thread.join(5)


def _query_until(scraper, promql: str, timeout: float = 30) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = scraper.query(promql)
        except Exception:
            found = []
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"Prometheus has no {promql} after {timeout} s")
