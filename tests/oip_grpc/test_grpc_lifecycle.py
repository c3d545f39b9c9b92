"""End-to-end: gRPC through a server's life. Loading, timeouts and model errors map to their
statuses, SIGTERM drains calls in flight, message sizes are limited, workers share the port
(and only with each other), and gRPC is off when asked or when its extra is missing."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_helpers import TENSORS, raw_input, triton, triton_error, wait_grpc_live

from servers import FIXTURES, TIFFIN, Server, free_port, start_server

pytestmark = pytest.mark.slow

SLOW_LOAD = FIXTURES / "single_file" / "slow_load.py"


def command(word: str, value: float = 0.0) -> list[grpcclient.InferInput]:
    """The inputs that make the Tensors model fail, sleep or answer big."""
    return [raw_input("command", np.array([word.encode()], dtype=object), "BYTES"),
            raw_input("value", np.array([float(value)]), "FP64")]  # fmt: skip


def health_status(server: Server, service: str = "") -> int:
    with grpc.insecure_channel(server.grpc_target) as channel:
        checker = health_pb2_grpc.HealthStub(channel)
        return checker.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status


@pytest.fixture
def tensors_server(tmp_path: Path):
    server = start_server(TENSORS, tmp_path, "--timeout", "1")
    server.wait_ready()
    yield server
    server.stop()


def test_timeouts_and_model_errors_map_to_statuses(tensors_server: Server) -> None:
    with triton(tensors_server) as client:
        error = triton_error(client.infer, "tensors", command("sleep", 3))
        assert error.status() == "StatusCode.DEADLINE_EXCEEDED"
        assert "did not answer within 1 s" in error.message()
        error = triton_error(client.infer, "tensors", command("raise"))
        assert error.status() == "StatusCode.INTERNAL"
        assert "predict raised ValueError: the model was asked to fail" in error.message()
        result = client.infer("tensors", [raw_input("x", np.arange(3), "INT64")])
        assert result.as_numpy("echo").tolist() == [0, 1, 2]


def test_while_loading_infer_is_unavailable_and_health_not_serving(tmp_path: Path) -> None:
    server = start_server(SLOW_LOAD, tmp_path, env={"SLOW_LOAD_SECONDS": "4"})
    try:
        wait_grpc_live(server)
        with triton(server) as client:
            assert not client.is_server_ready()
            assert not client.is_model_ready("slow_load")
            error = triton_error(client.infer, "slow_load",
                                 [raw_input("x", np.arange(2), "INT64")])  # fmt: skip
            assert error.status() == "StatusCode.UNAVAILABLE"
            assert "model 'slow_load' is not ready yet" in error.message()
            assert health_status(server) == health_pb2.HealthCheckResponse.NOT_SERVING
            server.wait_ready()
            assert client.is_model_ready("slow_load")
            assert health_status(server) == health_pb2.HealthCheckResponse.SERVING
            assert health_status(server, "inference.GRPCInferenceService") == (
                health_pb2.HealthCheckResponse.SERVING
            )
    finally:
        server.stop()


def test_sigterm_drains_grpc_calls_in_flight(tmp_path: Path) -> None:
    server = start_server(TENSORS, tmp_path, "--timeout", "20")
    server.wait_ready()
    results: list[object] = []

    def slow_call() -> None:
        with triton(server) as client:
            try:
                results.append(client.infer("tensors", command("sleep", 2)).as_numpy("slept"))
            except Exception as exc:
                results.append(exc)

    call = threading.Thread(target=slow_call)
    call.start()
    time.sleep(0.7)
    server.process.send_signal(signal.SIGTERM)
    call.join(30)
    assert server.process.wait(30) == 0
    assert len(results) == 1 and not isinstance(results[0], Exception), results
    assert results[0].tolist() == [2.0]


def test_max_message_size_limits_requests_and_answers(tmp_path: Path) -> None:
    server = start_server(TENSORS, tmp_path, "--grpc-max-message-size", "64KiB")
    try:
        server.wait_ready()
        with triton(server) as client:
            error = triton_error(client.infer, "tensors",
                                 [raw_input("x", np.zeros(10_000), "FP64")])  # fmt: skip
            assert error.status() == "StatusCode.RESOURCE_EXHAUSTED"
            error = triton_error(client.infer, "tensors", command("big", 100_000))
            assert error.status() == "StatusCode.RESOURCE_EXHAUSTED"
            big = client.infer("tensors", command("big", 60_000))
            assert big.as_numpy("big").shape == (60_000,)
            assert client.is_server_ready()
    finally:
        server.stop()


def test_workers_share_the_grpc_port(tmp_path: Path) -> None:
    server = start_server(TENSORS, tmp_path, "--workers", "2")
    try:
        server.wait_ready()
        pids = set()
        deadline = time.monotonic() + 60
        while len(pids) < 2 and time.monotonic() < deadline:
            with triton(server) as client:  # a new connection each time: any worker may take it
                result = client.infer("tensors", [raw_input("x", np.arange(1), "INT64")])
                pids.add(int(result.as_numpy("pid")[0]))
        assert len(pids) == 2
    finally:
        server.stop()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_grpc_port_another_process_holds_is_refused(tmp_path: Path, workers: str) -> None:
    """Even one that set SO_REUSEPORT, which the workers of a 2-worker server set too."""
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        done = subprocess.run(
            [*TIFFIN, "serve", str(TENSORS), "--port", str(free_port()), "--grpc-port",
             str(port), "--workers", workers],
            capture_output=True, text=True, timeout=60, cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 11, done.stderr
    assert f"error: cannot listen for gRPC on 127.0.0.1:{port}: it is already in use" in (
        done.stderr
    )
    assert "hint: stop the process using it, or choose another port with --grpc-port" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr


def test_grpc_can_be_turned_off(tmp_path: Path) -> None:
    for flags in (["--no-grpc"], ["--grpc-port", "0"]):
        server = start_server(TENSORS, tmp_path, *flags)
        try:
            server.wait_ready()
            assert server.grpc_port is None
            assert "gRPC" not in server.log
        finally:
            server.stop()


WITHOUT_GRPC = """
import sys
sys.modules["grpc"] = None  # as if tiffin[grpc] were not installed
from tiffin.cli.main import main
sys.argv = ["tiffin", "serve", *sys.argv[1:]]
main()
"""


def test_without_the_extra_an_explicit_grpc_port_is_an_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_GRPC, str(TENSORS), "--grpc-port", str(free_port())],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 11, done.stderr
    assert done.stderr.strip() == "error: serving gRPC needs grpcio: pip install 'tiffin[grpc]'"


def test_without_the_extra_rest_serves_alone_and_says_so(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", WITHOUT_GRPC, str(TENSORS), "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path,
        )  # fmt: skip
    server = Server(process, port, log)
    try:
        server.wait_ready()
        assert server.client.post("/invocations", json=[1]).status_code == 200
        off = [line for line in server.log.splitlines() if "gRPC is off" in line]
        assert len(off) == 1
        assert "pip install 'tiffin[grpc]'" in off[0]
    finally:
        assert server.stop() == 0


def test_the_debug_server_serves_grpc_too(tmp_path: Path) -> None:
    source = tmp_path / "pkg" / "tensors.py"
    source.parent.mkdir()
    source.write_text(TENSORS.read_text())
    server = start_server(source, tmp_path, "--debug")
    try:
        server.wait_ready()
        with triton(server) as client:
            result = client.infer("tensors", [raw_input("x", np.arange(2), "INT64")])
            assert result.as_numpy("echo").tolist() == [0, 1]
    finally:
        server.stop()
