"""Fixtures of the deploy tests: the CLI run against moto, boto3 clients to check what it
did, and (for the push test) podman, the iris image and a local registry standing in for
ECR, reused from the image tests.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "images"))  # imagetests

from images.conftest import iris_image, podman_ready, registry, tiffin_cache
from servers import TIFFIN

__all__ = ["iris_image", "podman_ready", "registry", "tiffin_cache"]

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def sagemaker_cli(aws_env: dict[str, str], tmp_path: Path) -> Run:
    """Run ``tiffin sagemaker ARGS`` in a child process pointed at moto, as a user would."""
    import os

    def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:  # fmt: skip
        environment = {**os.environ, **aws_env, "COLUMNS": "200", **(env or {})}
        argv = [*TIFFIN, "sagemaker", *args]
        return subprocess.run(argv, capture_output=True, text=True, input=stdin,
                              env=environment, cwd=tmp_path, timeout=timeout)  # fmt: skip

    return run


@pytest.fixture
def aws(aws_env: dict[str, str]) -> Callable[[str], Any]:
    """boto3 clients on the moto server, to check what the CLI created."""
    import boto3

    def client(service: str) -> Any:
        return boto3.client(service, region_name=aws_env["AWS_REGION"],
                            endpoint_url=aws_env["AWS_ENDPOINT_URL"])  # fmt: skip

    return client
