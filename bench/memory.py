"""Memory benchmark: what several workers serving a ~100 MB model cost, as the sum of PSS.

    .venv/bin/python bench/memory.py              # appends a section to bench/RESULTS.md
    .venv/bin/python bench/memory.py --no-record  # prints only

The model is tests/fixtures/shared_weights/weights_model.py: ~100 MB of float64 weights
written to a temporary directory, read by its load() (or memory-mapped, WEIGHTS_MMAP=1).
Each case serves it with real `tiffin serve`, gets a few answers from every worker, then
sums PSS (/proc/PID/smaps_rollup, which splits each shared page among the processes
mapping it) over the serve process (gunicorn's master) and its workers.
See bench/README.md for what is measured and how to read it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from common import REPO, RESULTS, append_results, free_port, machine

FIXTURE = REPO / "tests" / "fixtures" / "shared_weights"
MODEL = FIXTURE / "weights_model.py"
TARGET = 1.5
"""4 preloaded workers may hold at most this multiple of one worker's memory."""
ROWS = [[1.0, 2.0, 3.0]]


@dataclass(frozen=True)
class Case:
    """One way of serving the model."""

    label: str
    workers: int
    flags: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


CASES = (
    Case("1 worker", 1),
    Case("4 workers, preloaded (the default)", 4),
    Case("4 workers, --no-preload", 4, ("--no-preload",)),
    Case("4 workers, --no-preload, weights memory-mapped", 4, ("--no-preload",),
         {"WEIGHTS_MMAP": "1"}),
)  # fmt: skip


def pss_mib(pid: int) -> float:
    """The process's proportional set size, in MiB."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no Pss in /proc/{pid}/smaps_rollup")


def children(pid: int) -> list[int]:
    """The pids of ``pid``'s child processes (gunicorn's workers)."""
    tasks = Path(f"/proc/{pid}/task").iterdir()
    return [int(child) for task in tasks for child in (task / "children").read_text().split()]


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Until ``/ping`` answers 200; the server exiting first is an error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tiffin serve exited with status {process.returncode}")
        try:
            if httpx.get(f"{url}/ping", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"not ready after {timeout}s")


def ask_every_worker(url: str, workers: int) -> None:
    """Predictions on fresh connections until every worker has answered three times."""
    counts: dict[int, int] = {}

    def ask(_: int) -> int | None:
        response = httpx.post(f"{url}/invocations", json=ROWS, timeout=30)
        return response.json()["pid"] if response.status_code == 200 else None

    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(8) as pool:
        while len(counts) < workers or min(counts.values()) < 3:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(counts)} of {workers} workers answered")
            for pid in filter(None, pool.map(ask, range(32))):
                counts[pid] = counts.get(pid, 0) + 1


def measure(case: Case, model_dir: Path, workdir: Path) -> dict[str, float]:
    """Serve the model as ``case`` says; the PSS of the master and of each worker, MiB."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MODEL_DIR": str(model_dir), **case.env}
    command = [sys.executable, "-m", "tiffin", "serve", str(MODEL), "--port", str(port),
               "--no-grpc", "--workers", str(case.workers), *case.flags]  # fmt: skip
    with (workdir / f"{port}.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_ready(url, process)
        ask_every_worker(url, case.workers)
        time.sleep(1.0)
        workers = children(process.pid)
        if len(workers) != case.workers:
            raise RuntimeError(f"{len(workers)} workers running, not {case.workers}")
        return {"master": pss_mib(process.pid), **{str(pid): pss_mib(pid) for pid in workers}}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)


def table(results: dict[str, dict[str, float]]) -> str:
    """The markdown table: total PSS per case, its ratio to one worker, the master's share."""
    one = sum(next(iter(results.values())).values())
    lines = ["| case | total PSS MiB | x 1 worker | master MiB | each worker MiB |",
             "|---|---|---|---|---|"]  # fmt: skip
    for label, sizes in results.items():
        workers = [f"{size:.0f}" for name, size in sizes.items() if name != "master"]
        total = sum(sizes.values())
        lines.append(f"| {label} | {total:.0f} | {total / one:.2f} | {sizes['master']:.0f} | "
                     f"{', '.join(workers)} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def verdict(results: dict[str, dict[str, float]]) -> str:
    """Whether 4 preloaded workers stayed within :data:`TARGET` x one worker."""
    totals = [sum(sizes.values()) for sizes in results.values()]
    ratio = totals[1] / totals[0]
    return f"{ratio:.2f} x: {'met' if ratio <= TARGET else 'missed'}"


def record(results: dict[str, dict[str, float]], model_mb: float) -> None:
    """Append a dated section with the table, machine, command and target to RESULTS.md."""
    python = os.path.relpath(sys.executable)
    command = shlex.join([sys.executable if python.startswith("..") else python, *sys.argv])
    section = (
        f"\n## {datetime.date.today().isoformat()}: memory of several workers\n\n"
        f"- machine: {machine()}\n"
        f"- command: `{command}`\n"
        f"- model: tests/fixtures/shared_weights/weights_model.py, {model_mb:.0f} MiB of "
        "float64 weights read by load(); every prediction reads one value per page\n"
        "- setup: `tiffin serve --no-grpc`, three or more answers from every worker, then "
        "the sum of PSS (/proc/PID/smaps_rollup) over the master and its workers\n"
        f"- target: 4 workers <= {TARGET} x 1 worker's total; result {verdict(results)}\n\n"
        f"{table(results)}"
    )
    append_results(section)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(FIXTURE))
    import weights_model

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="tiffin-bench-") as tmp:
        workdir = Path(tmp)
        weights = weights_model.write_weights(workdir)
        model_mb = weights.stat().st_size / 2**20
        for case in CASES:
            print(f"{case.label} ...", flush=True)
            results[case.label] = measure(case, workdir, workdir)
    print("\n" + table(results) + "\n" + verdict(results))
    if not args.no_record:
        record(results, model_mb)
        print(f"\nappended to {os.path.relpath(RESULTS)}")


if __name__ == "__main__":
    main()
