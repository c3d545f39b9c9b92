"""Shared fixtures: real `tiffin serve` processes on 127.0.0.1 and the example packages."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES = ROOT / "examples"
TIFFIN = [sys.executable, "-m", "tiffin"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running `tiffin serve` process and an httpx client pointed at it."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited {self.process.returncode}:\n{self.log}")
            try:
                if self.client.get("/ping").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"server not ready after {timeout}s:\n{self.log}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.client.close()
        return self.process.returncode


def start_server(
    target: Path | str, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> Server:
    """Start `tiffin serve TARGET` on a free port; the caller waits for readiness."""
    port = free_port()
    log_path = tmp_path / f"server-{port}.log"
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    process = subprocess.Popen(
        [*TIFFIN, "serve", str(target), "--port", str(port), *args],
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        env=environment,
        cwd=tmp_path,
    )
    return Server(process, port, log_path)


@pytest.fixture(scope="session")
def iris_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The iris example, copied and trained (model/model.joblib written by its train.py)."""
    target = tmp_path_factory.mktemp("iris") / "iris"
    shutil.copytree(EXAMPLES / "iris", target, ignore=shutil.ignore_patterns("model"))
    subprocess.run([sys.executable, "train.py"], cwd=target, check=True, capture_output=True)
    return target


@pytest.fixture(scope="session")
def iris_server(iris_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `tiffin serve` of the iris example shared by the read-only protocol tests."""
    server = start_server(iris_package, tmp_path_factory.mktemp("iris-server"), "--timeout", "5")
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def iris_reference(iris_package: Path):
    """The trained sklearn model itself, to compare served predictions with."""
    import joblib

    return joblib.load(iris_package / "model" / "model.joblib")
