"""Fixtures of the batch tests: generated data, a `tiffin batch` subprocess runner, and the
engines (local pool, Dask, Ray) that the engine-parametrised tests run on."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from batch_helpers import ENGINE_MODULES, Engine, write_iris_csv

from servers import TIFFIN


@pytest.fixture(scope="session")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """1,000,000-row and 200,000-row iris-like CSV files, written once per session."""
    folder = tmp_path_factory.mktemp("big")
    return {
        1_000_000: write_iris_csv(folder / "iris-1m.csv", 1_000_000),
        200_000: write_iris_csv(folder / "iris-200k.csv", 200_000),
    }


@pytest.fixture
def tiffin_batch(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `tiffin batch ARGS...` as a subprocess in tmp_path and return the finished process."""

    def run(*args: object, timeout: float = 120,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
        argv = [*TIFFIN, "batch", *map(str, args)]
        environ = {**os.environ, **env} if env else None
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=tmp_path,
                              env=environ)  # fmt: skip

    return run


@pytest.fixture(scope="session")
def ray_address() -> Iterator[str]:
    """One local Ray of 2 CPUs for the whole session, started in this process.

    Tests in this process use it as it is (``run_batch(engine="ray")`` keeps a connection
    it did not open); `tiffin batch` subprocesses join it by address, which takes a
    second where starting a Ray of their own takes several. Its temp dir is short, as
    Ray's socket paths must be.
    """
    ray = pytest.importorskip("ray", reason="the ray engine needs tiffin[ray]")
    temp = tempfile.mkdtemp(prefix="tiffin-ray-test-")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=temp,
             logging_level="ERROR")  # fmt: skip
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(params=sorted(ENGINE_MODULES))
def cluster_engine(request: pytest.FixtureRequest) -> Engine:
    """Each engine beyond the local pool: Dask, then Ray; skipped when not installed."""
    return _engine(request, request.param)


@pytest.fixture(params=["local", *sorted(ENGINE_MODULES)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Every engine: the local pool of 2 processes, Dask, Ray; skipped when not installed."""
    return _engine(request, request.param)


def _engine(request: pytest.FixtureRequest, name: str) -> Engine:
    if name in ENGINE_MODULES:
        pytest.importorskip(ENGINE_MODULES[name], reason=f"the {name} engine needs tiffin[{name}]")
    address = request.getfixturevalue("ray_address") if name == "ray" else None
    return Engine(name, address)
