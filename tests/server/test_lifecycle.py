"""Failures of user code, timeouts, readiness, graceful shutdown: the server's life."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from servers import FIXTURES, TIFFIN, start_server

SINGLE = FIXTURES / "single_file"


@pytest.fixture
def misbehaving(tmp_path):
    server = start_server(SINGLE / "misbehaving.py", tmp_path, "--timeout", "1")
    server.wait_ready()
    yield server
    server.stop()


def test_a_single_py_file_is_served(misbehaving):
    response = misbehaving.client.post("/invocations", json={"hello": "world"})
    assert response.json() == {"echo": {"hello": "world"}}
    assert misbehaving.client.get("/v1/models").json() == {"models": ["misbehaving"]}


def test_predict_that_raises_is_500_with_type_and_message(misbehaving):
    for path in ("/invocations", "/api/ml/predict"):
        response = misbehaving.client.post(path, json={"raise": "bad feature"})
        assert response.status_code == 500
        assert response.json() == {"error": "predict raised ValueError: bad feature"}
        assert "Traceback" not in response.text
    assert misbehaving.client.post("/invocations", json=[1]).status_code == 200
    assert "ValueError: bad feature" in misbehaving.log  # the operator sees the traceback


def test_hung_predict_times_out_with_504_and_the_worker_recovers(misbehaving):
    started = time.monotonic()
    response = misbehaving.client.post("/invocations", json={"sleep": 30})
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.json()["error"] == "model 'misbehaving' did not answer within 1 s"
    assert elapsed < 10
    after = misbehaving.client.post("/invocations", json={"sleep": 0.01})
    assert after.status_code == 200
    assert after.json() == {"slept": 0.01}


def test_hung_predict_in_a_thread_pool_restarts_the_worker(tmp_path):
    server = start_server(SINGLE / "misbehaving.py", tmp_path, "--timeout", "1", "--threads", "2")
    try:
        server.wait_ready()
        results: list[int] = []

        def hang() -> None:
            results.append(server.client.post("/invocations", json={"sleep": 60}).status_code)

        hangers = [threading.Thread(target=hang) for _ in range(2)]
        for thread in hangers:
            thread.start()
        for thread in hangers:
            thread.join(30)
        assert results == [504, 504]
        server.wait_recovered()  # a fresh worker takes over
        assert "restarting this worker" in server.log
    finally:
        server.stop()


def test_async_stages_are_awaited(tmp_path):
    server = start_server(SINGLE / "async_model.py", tmp_path)
    try:
        server.wait_ready()
        response = server.client.post("/invocations", json=[1, 2, 3])
        assert response.json() == {"doubled": [2, 4, 6]}
    finally:
        server.stop()


def test_readiness_stays_false_until_load_returns(tmp_path):
    server = start_server(SINGLE / "slow_load.py", tmp_path, env={"SLOW_LOAD_SECONDS": "3"})
    try:
        deadline = time.monotonic() + 30
        while True:  # wait for the socket, not the model
            try:
                first = server.client.get("/ping")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, server.log
                time.sleep(0.05)
        assert first.status_code == 503
        assert server.client.get("/v2/health/ready").status_code == 503
        assert server.client.get("/v1/models/slow_load").status_code == 503
        not_ready = server.client.post("/invocations", json=[1])
        assert not_ready.status_code == 503
        assert not_ready.json() == {"error": "model 'slow_load' is not ready yet"}
        assert server.client.get("/v2/health/live").status_code == 200
        server.wait_ready()
        answered_at = time.time()
        ready_at = server.client.post("/invocations", json=[1]).json()["ready_at"]
        assert ready_at <= answered_at
    finally:
        server.stop()


def test_load_failure_exits_non_zero_with_the_reason(tmp_path):
    server = start_server(SINGLE / "broken_load.py", tmp_path)
    code = server.process.wait(60)
    log = server.log
    assert code != 0
    assert (
        "model 'broken_load' failed to load: FileNotFoundError: model/weights.bin is missing" in log
    )
    assert "error: the model failed to load" in log
    assert "Traceback" not in log


def test_broken_contract_is_refused_before_serving_quoting_the_signature(tmp_path):
    result = subprocess.run(
        [*TIFFIN, "serve", str(SINGLE / "broken_contract.py"), "--port", "1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 3
    assert "def TwoArguments.predict(self, features, extra)" in result.stderr
    assert "broken_contract.py:" in result.stderr
    assert "must accept exactly one argument" in result.stderr
    assert "Traceback" not in result.stderr


def test_sigterm_drains_in_flight_requests(tmp_path):
    server = start_server(SINGLE / "misbehaving.py", tmp_path, "--timeout", "20")
    server.wait_ready()
    results: list[httpx.Response] = []
    request = threading.Thread(
        target=lambda: results.append(server.client.post("/invocations", json={"sleep": 2}))
    )
    request.start()
    time.sleep(0.5)
    server.process.send_signal(signal.SIGTERM)
    request.join(30)
    assert server.process.wait(30) == 0
    assert results and results[0].status_code == 200
    assert results[0].json() == {"slept": 2}


@pytest.mark.skipif(sys.platform != "linux", reason="counts worker processes with /proc")
def test_settings_come_from_environment_variables(tmp_path):
    env = {"TIFFIN_WORKERS": "2", "TIFFIN_ACCESS_LOG": "yes", "MODEL_NAME": "renamed"}
    server = start_server(SINGLE / "misbehaving.py", tmp_path, env=env)
    try:
        server.wait_ready()
        assert server.client.get("/execution-parameters").json()["MaxConcurrentTransforms"] == 2
        assert server.client.get("/v1/models").json() == {"models": ["renamed"]}
        server.client.post("/invocations", json=[1])
        time.sleep(0.5)
        assert '"POST /invocations HTTP/1.1" 200' in server.log
        children = subprocess.run(["pgrep", "-P", str(server.process.pid)],
                                  capture_output=True, text=True).stdout.split()  # fmt: skip
        assert len(children) == 2
    finally:
        server.stop()


def test_bad_environment_variable_is_a_clear_cli_error(tmp_path):
    result = subprocess.run(
        [*TIFFIN, "serve", str(SINGLE / "misbehaving.py")],
        capture_output=True, text=True, timeout=60,
        env={**__import__("os").environ, "TIFFIN_ACCESS_LOG": "maybe"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "TIFFIN_ACCESS_LOG" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_mode_reloads_when_the_model_changes(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    source = package / "model.py"
    source.write_text("class M:\n    def predict(self, x):\n        return {'version': 1}\n")
    server = start_server(source, tmp_path, "--debug")
    try:
        server.wait_ready()
        assert server.client.post("/invocations", json=[1]).json() == {"version": 1}
        changed = "class M:\n    def predict(self, x):\n        return {'version': 2}\n"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            # written again each round: the watcher may start a moment after the server
            source.write_text(changed)
            try:
                if server.client.post("/invocations", json=[1]).json() == {"version": 2}:
                    break
            except (httpx.TransportError, ValueError):
                pass
            time.sleep(1)
        else:
            raise AssertionError(f"no reload:\n{server.log}")
    finally:
        server.stop()


def test_model_dir_comes_from_the_environment_and_h11_workers_serve(iris_package, tmp_path):
    import shutil

    elsewhere = tmp_path / "mounted-model"
    shutil.copytree(iris_package / "model", elsewhere)
    package = tmp_path / "iris-without-weights"
    shutil.copytree(iris_package, package, ignore=shutil.ignore_patterns("model"))
    server = start_server(package, tmp_path, "--worker-class", "uvicorn-h11",
                          env={"MODEL_DIR": str(elsewhere)})  # fmt: skip
    try:
        server.wait_ready()
        response = server.client.post("/invocations", json=[[5.1, 3.5, 1.4, 0.2]])
        assert response.json() == [0]
        assert "TiffinH11Worker" in server.log
    finally:
        server.stop()
