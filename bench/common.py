"""What every benchmark here shares: the iris packages, a free port, the machine, the record."""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
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


def load_parser(
    description: str, *, rounds: int, warmup: float, connections: int, client: str, quick: float
) -> argparse.ArgumentParser:
    """The options every load benchmark takes: rounds, warm-up, connections, cores, --quick
    (``quick`` seconds a round, one round, nothing recorded) and --no-record."""
    parser = argparse.ArgumentParser(description=description.split("\n")[0])
    add = parser.add_argument
    add("--duration", type=float, default=10, help="seconds per round [10]")
    add("--rounds", type=int, default=rounds, help=f"rounds per server [{rounds}]")
    add("--warmup", type=float, default=warmup, help=f"warm-up seconds [{warmup:g}]")
    add("--connections", type=int, default=connections,
        help=f"{client} connections [{connections}]")  # fmt: skip
    add("--server-cpu", default="1", help="core for the servers [1]")
    add("--client-cpu", default="0", help=f"core for {client} [0]")
    add("--quick", action="store_true",
        help=f"smoke run: 1 round of {quick:g} s, 1 s warm-up; records nothing")  # fmt: skip
    add("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.set_defaults(quick_duration=quick)
    return parser


def parse_load_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse, applying --quick."""
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.rounds, args.warmup, args.no_record = args.quick_duration, 1, 1.0, True
    return args


def prepare_run(tools: tuple[str, ...], package: str) -> None:
    """Exit with the install line when a tool is missing; make SIGTERM end the run cleanly."""
    for tool in tools:
        if shutil.which(tool) is None:
            sys.exit(f"error: {tool} not found (apt-get install -y {package} util-linux)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
