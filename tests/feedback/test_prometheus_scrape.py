"""A real Prometheus scrapes model-reported metrics written by two worker processes: plain
ones, then a two-worker `tiffin serve` serving the seed's model."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

from servers import FIXTURES, free_port, start_server

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


def test_prometheus_reads_the_models_own_metrics_from_a_two_worker_server(tmp_path: Path,
                                                                           prometheus):  # fmt: skip
    server = start_server(FIXTURES / "feedback" / "seed_model.py", tmp_path, "--workers", "2",
                          "--no-grpc")  # fmt: skip
    try:
        server.wait_ready()
        body = {"data": {"names": ["a", "b"], "ndarray": [[6.0, 1.0], [4.0, 2.0]]}}
        feedback = {"data": [[6.0, 1.0]], "y_true": [1, 0, 1, 1], "y_predicted": [1, 1, 1, 1]}
        for _ in range(12):
            assert server.client.post("/api/ml/predict", json=body).status_code == 200
            assert server.client.post("/api/ml/feedback", json=feedback).status_code == 200
        scraper = prometheus([f"127.0.0.1:{server.port}"])
        labels = '{model="seed_model",version="1"}'
        (rows,) = _query_until(scraper, f"rows_scored_total{labels}")
        assert float(rows["value"][1]) == 24.0  # 12 predictions of 2 rows, both workers summed
        (accuracy,) = scraper.query(f"Accuracy{labels}")
        assert float(accuracy["value"][1]) == 0.75  # computed by the model from the feedback
        (requests,) = scraper.query('sum(tiffin_requests_total{protocol="feedback"})')
        assert float(requests["value"][1]) == 12.0
    finally:
        assert server.stop() == 0, server.log
