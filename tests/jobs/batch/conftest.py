"""Fixtures of the batch tests: generated data, and a `tiffin batch` subprocess runner."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from batch_helpers import write_iris_csv

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

    def run(*args: object, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        argv = [*TIFFIN, "batch", *map(str, args)]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=tmp_path)

    return run
