"""A real moto server on 127.0.0.1 standing in for the AWS APIs (S3, ECR, SageMaker, STS).

``moto_server`` (a session fixture in conftest.py) starts ``moto_server`` once; each test
that uses ``aws_env`` gets the variables that point boto3 (and tiffin's CLI) at it, with
throwaway credentials, so nothing ever reaches a real account.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from servers import free_port

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/tiffin-test"


@dataclass
class MotoServer:
    """A running moto server and the environment that points AWS clients at it."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    @property
    def env(self) -> dict[str, str]:
        """Variables for a child process (or monkeypatch) that talk to this server only."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def reset(self) -> None:
        """Forget every resource created so far (moto's reset API)."""
        httpx.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_moto(log_dir: Path) -> Iterator[MotoServer]:
    """Start ``moto_server`` on a free port and wait until it answers."""
    executable = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    port = free_port()
    log_path = log_dir / "moto.log"
    process = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = MotoServer(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited {process.returncode}:\n{log_path.read_text()}")
        try:
            httpx.get(f"{server.url}/moto-api/", timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError("moto_server did not answer within 30 s") from None
            time.sleep(0.1)
    try:
        yield server
    finally:
        server.stop()
