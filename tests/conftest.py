"""Shared fixtures: real `tiffin serve` processes on 127.0.0.1 and the example packages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aws import MotoServer, start_moto
from servers import EXAMPLES, Server, start_server


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


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """One real moto server on 127.0.0.1 for the whole session (S3, ECR, SageMaker, STS)."""
    yield from start_moto(tmp_path_factory.mktemp("moto"))


@pytest.fixture
def aws_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This process (and its children) pointed at a freshly reset moto server."""
    moto_server.reset()
    for name, value in moto_server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_server.env
