"""What every benchmark here shares: the iris packages, a free port, the machine, the record."""

from __future__ import annotations

import os
import platform
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "RESULTS.md"


def prepare_iris(workdir: Path) -> Path:
    """Copy examples/iris into ``workdir`` and train it; return the package directory."""
    package = workdir / "iris"
    shutil.copytree(REPO / "examples" / "iris", package, ignore=shutil.ignore_patterns("model"))
    subprocess.run([sys.executable, "train.py"], cwd=package, check=True, capture_output=True)
    return package


FOREST = {"n_estimators": 100, "max_depth": 10}
"""A compute-bound model: ~1.5 us a row in a batch, a few ms for one row (100 trees)."""


def prepare_forest(workdir: Path) -> Path:
    """Copy examples/iris into ``workdir`` with a random forest fitted on the iris data in
    ``model/model.joblib`` instead of its LogisticRegression: the same package code (load
    the joblib file, ``predict``), only the estimator differs."""
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    package = workdir / "iris-forest"
    shutil.copytree(REPO / "examples" / "iris", package, ignore=shutil.ignore_patterns("model"))
    (package / "model").mkdir()
    features, labels = load_iris(return_X_y=True)
    forest = RandomForestClassifier(**FOREST, random_state=0, n_jobs=1).fit(features, labels)
    joblib.dump(forest, package / "model" / "model.joblib")
    return package


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine() -> str:
    """Cores, CPU model, Python version and load (other work skews results), for the record."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    return (
        f"{os.cpu_count()} cores ({model.group(1) if model else 'unknown CPU'}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}, "
        f"load average {os.getloadavg()[0]:.2f} at the end of the run"
    )


def append_results(section: str) -> None:
    """Add a dated section to bench/RESULTS.md."""
    with RESULTS.open("a") as out:
        out.write(section)
