"""Start real `tiffin serve` processes on 127.0.0.1 and talk to them over HTTP and gRPC.

Every server gets its own free HTTP port and its own free gRPC port (never the default
8081, which another server or person on the machine may hold), unless the test passes
``--grpc-port`` or ``--no-grpc`` itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

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
    grpc_port: int | None = None
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def grpc_target(self) -> str:
        """``127.0.0.1:PORT`` of the gRPC server, for a gRPC client."""
        assert self.grpc_port, "this server was started without gRPC"
        return f"127.0.0.1:{self.grpc_port}"

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

    def wait_recovered(self, timeout: float = 60) -> None:
        """Wait until a (fresh) worker answers a quick ``/invocations`` with 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                response = self.client.post("/invocations", json={"sleep": 0}, timeout=5)
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"no worker recovered:\n{self.log}")

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
    """Start `tiffin serve TARGET` on a free port, and gRPC on another; the caller waits for
    readiness."""
    port = free_port()
    grpc: list[str] = []
    grpc_port = None
    if not {"--grpc-port", "--no-grpc"} & set(args):
        grpc_port = free_port()
        grpc = ["--grpc-port", str(grpc_port)]
    elif "--grpc-port" in args:
        grpc_port = int(args[args.index("--grpc-port") + 1]) or None
    log_path = tmp_path / f"server-{port}.log"
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    process = subprocess.Popen(
        [*TIFFIN, "serve", str(target), "--port", str(port), *grpc, *args],
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        env=environment,
        cwd=tmp_path,
    )
    return Server(process, port, log_path, grpc_port)
