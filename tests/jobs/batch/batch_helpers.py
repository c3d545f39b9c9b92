"""Helpers of the batch tests: fixture packages, generated data, peak-RSS measurement."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from servers import TIFFIN

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROBE = FIXTURES / "probe"
EXECUTE = FIXTURES / "execute"
MISCOUNT = FIXTURES / "miscount"
CRASH = FIXTURES / "crash"

ENGINE_MODULES = {"dask": "distributed", "ray": "ray"}
"""The engines beyond the local pool, and the module each needs."""


@dataclass(frozen=True)
class Engine:
    """An engine as a test runs it: two workers, and the session's Ray by address."""

    name: str
    address: str | None = None

    def options(self) -> dict[str, Any]:
        """Keywords of ``run_batch`` (in this process Ray is the session's, already started)."""
        return {"engine": self.name, "workers": 2}

    def args(self) -> list[str]:
        """Flags of `tiffin batch`."""
        joined = ["--address", self.address] if self.address else []
        return ["--engine", self.name, "--workers", "2", *joined]


MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
)
"""Run a command and print the peak RSS (KiB) of it and its descendants, and its status."""


def iris_rows(count: int, seed: int = 0) -> np.ndarray:
    """``count`` iris-like rows: 4 float features with one decimal."""
    rng = np.random.default_rng(seed)
    scale, centre = [0.8, 0.4, 1.7, 0.7], [5.8, 3.0, 3.7, 1.2]
    return np.round(rng.normal(size=(count, 4)) * scale + centre, 1)


def write_csv(path: Path, rows: np.ndarray) -> Path:
    """Write rows as headerless CSV quickly (one formatted string for the whole array)."""
    text = "\n".join(",".join(f"{value:.1f}" for value in row) for row in rows.tolist())
    path.write_text(text + "\n")
    return path


def write_iris_csv(path: Path, count: int) -> Path:
    """Write ``count`` iris-like rows fast, in blocks, without holding them as text."""
    with path.open("w") as out:
        for start in range(0, count, 200_000):
            block = iris_rows(min(200_000, count - start), seed=start)
            np.savetxt(out, block, fmt="%.1f", delimiter=",")
    return path


def peak_rss_mib(*args: object) -> tuple[float, int]:
    """Run `tiffin batch ARGS...`; return its peak RSS in MiB (any process of it) and status."""
    argv = [sys.executable, "-c", MEASURE, *TIFFIN, "batch", *map(str, args)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=True)
    rss_kib, status = done.stdout.split()
    return int(rss_kib) / 1024, int(status)
