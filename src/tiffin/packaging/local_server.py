"""A ``tiffin serve`` subprocess on 127.0.0.1, started by :meth:`Package.serve`."""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from tiffin.errors import ModelLoadError
from tiffin.spec import ServerSettings


class LocalServer:
    """A running ``tiffin serve PATH``: its ``url``, its ``log``, and ``stop()``.

    Use it as a context manager to stop it on exit; it is also stopped when Python exits.
    """

    def __init__(self, process: subprocess.Popen[bytes], host: str, port: int, log: Path):
        self.process = process
        self.host = host
        self.port = port
        self.log_path = log
        atexit.register(self.stop)

    @property
    def url(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:8080``."""
        return f"http://{self.host}:{self.port}"

    @property
    def log(self) -> str:
        """Everything the server wrote to stdout and stderr so far."""
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> LocalServer:
        """Wait until ``/ping`` answers 200; ModelLoadError with the log if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise ModelLoadError(
                    f"tiffin serve exited with status {self.process.returncode} before it "
                    f"was ready:\n{self.log.strip()}"
                )
            if _ping(self.url):
                return self
            time.sleep(0.05)
        self.stop()
        raise ModelLoadError(f"tiffin serve was not ready after {timeout:g} s:\n{self.log}")

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM the server (in-flight requests finish), SIGKILL it after ``timeout``."""
        atexit.unregister(self.stop)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.process.poll() is None else f"exited {self.process.returncode}"
        return f"LocalServer(url={self.url!r}, {state})"


def start_server(path: Path, port: int | None = None, **settings: Any) -> LocalServer:
    """Start ``tiffin serve path`` with ``settings`` as flags; return once it is ready.

    It serves HTTP only unless ``grpc_port`` is given: several of these servers may run at
    once, and the default gRPC port can be had by one of them only.
    """
    settings.setdefault("grpc_port", 0)
    host = str(settings.pop("host", "127.0.0.1"))
    port = port or free_port(host)
    flags = [*_flags(settings), "--host", host, "--port", str(port)]
    log = Path(tempfile.mkstemp(prefix=f"tiffin-serve-{port}-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tiffin", "serve", str(path), *flags],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    return LocalServer(process, host, port, log).wait_ready()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _flags(settings: dict[str, Any]) -> list[str]:
    """``workers=2, access_log=True`` -> ``--workers 2 --access-log``; unknown keys raise."""
    flags: list[str] = []
    for key, value in settings.items():
        if key not in ServerSettings.model_fields or key == "port":
            known = ", ".join(k for k in ServerSettings.model_fields if k != "port")
            raise TypeError(f"serve() got an unknown setting {key!r}; known: {known}")
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            flags.append(flag if value else flag.replace("--", "--no-", 1))
        else:
            flags += [flag, str(value)]
    return flags


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""Talks to the local server without any HTTP proxy from the environment."""


def _ping(url: str) -> bool:
    try:
        with _DIRECT.open(url + "/ping", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False
