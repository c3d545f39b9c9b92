"""Batch benchmark: ``tiffin batch`` on a 1M-row CSV against ``model.predict`` in memory.

    .venv/bin/python bench/batch.py               # full run, appends to bench/RESULTS.md
    .venv/bin/python bench/batch.py --quick       # smoke run, records nothing
    .venv/bin/python bench/batch.py --model forest

Scores generated iris-like CSVs (250k, 1M and 4M rows) with two models packaged like the
iris example: its cheap LogisticRegression (overhead-dominated) and a RandomForestClassifier
(compute-dominated), with one and with two workers, as real `tiffin batch` processes;
measures wall time and peak RSS of each run. Each model's floor is its own
``model.predict`` on the whole 1M-row array already in memory, measured in a fresh process
in the same run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import RESULTS, append_results, machine, prepare_forest, prepare_iris

SIZES = (250_000, 1_000_000, 4_000_000)
"""1M rows is the benchmark; 250k and 4M rows show the peak RSS does not follow the input
size; 1M and 4M rows (both enough chunks to keep every worker busy) give the scoring rate."""
ONE_WORKER_TARGET = 0.70
"""One worker must score at least this fraction of the floor's rows per second."""
TWO_WORKER_TARGET = 1.6
"""Two workers must be at least this many times as fast as one."""
NATIVE_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
"""Set to 1 for every process of the run (floor included) unless --native-threads default."""
RSS_GROWTH_LIMIT_MIB = 8
"""Peak RSS may grow by at most this much from 250k to 1M or 4M rows (12 and 60 MiB more
text; 23 and 114 MiB more as a float64 array)."""

FLOOR = """
import io, json, sys, time
import joblib, numpy as np, pyarrow.csv as pacsv
model = joblib.load(sys.argv[1])
def by_hand():
    read = pacsv.ReadOptions(autogenerate_column_names=True)
    table = pacsv.read_csv(sys.argv[2], read_options=read)
    features = np.column_stack([column.to_numpy() for column in table.columns])
    predictions = model.predict(features)
    with open(sys.argv[4], "w") as out:
        out.write("\\n".join(map(str, predictions.tolist())) + "\\n")
    return features
started = time.perf_counter()
features = by_hand()
script = time.perf_counter() - started
started = time.perf_counter()
model.predict(features)  # the first call also pays first-touch page faults, BLAS start-up
cold = time.perf_counter() - started
times = []
for _ in range(int(sys.argv[3])):
    started = time.perf_counter()
    model.predict(features)
    times.append(time.perf_counter() - started)
print(json.dumps({"rows": len(features), "warm": min(times), "cold": cold, "script": script}))
"""
"""In a fresh process: the same job done by hand in memory (pyarrow read, predict, write),
then model.predict on the whole in-memory array, first call and best of N."""

CEILING = """
import sys, time, multiprocessing
def work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total
if __name__ == "__main__":
    n, serial, parallel = 5_000_000, [], []
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(work, [10, 10])
        for _ in range(int(sys.argv[1])):
            started = time.perf_counter()
            work(n), work(n)
            serial.append(time.perf_counter() - started)
            started = time.perf_counter()
            pool.map(work, [n, n])
            parallel.append(time.perf_counter() - started)
    print(min(serial) / min(parallel))
"""
"""The speedup two processes get on this machine for pure CPU work: the ceiling of any
two-worker speedup here (vCPUs may share physical cores or a CPU quota)."""

MEASURE = (
    "import resource, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "wall = time.perf_counter() - started\n"
    "print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
)
"""Run a command; print its wall time, the peak RSS (KiB) of its processes, its status."""


ENVIRONMENT = dict(os.environ)
"""The environment of every measured process (see --native-threads)."""


@dataclass(frozen=True)
class Run:
    """One `tiffin batch` run: wall seconds and peak RSS of its largest process (MiB)."""

    seconds: float
    rss_mib: float


# -- setup -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    """A model of the benchmark: how to build its package and how to describe it."""

    key: str
    title: str
    kind: str
    prepare: Callable[[Path], Path]


MODELS = {
    "lr": Model("lr", "LogisticRegression (examples/iris, trained by its train.py)",
                "overhead-dominated: predict is far cheaper than parsing the CSV text",
                prepare_iris),
    "forest": Model("forest", "RandomForestClassifier(n_estimators=100, max_depth=10, "
                    "random_state=0, n_jobs=1) fitted on the iris data, in the iris "
                    "example's package code",
                    "compute-dominated: predict costs far more than parsing the CSV text",
                    prepare_forest),
}  # fmt: skip


def write_csv(path: Path, rows: int) -> Path:
    """``rows`` iris-like rows (4 floats with one decimal), written in blocks."""
    scale, centre = [0.8, 0.4, 1.7, 0.7], [5.8, 3.0, 3.7, 1.2]
    with path.open("w") as out:
        for start in range(0, rows, 200_000):
            rng = np.random.default_rng(start)
            block = np.round(rng.normal(size=(min(200_000, rows - start), 4)) * scale + centre, 1)
            np.savetxt(out, block, fmt="%.1f", delimiter=",")
    return path


# -- measurement -----------------------------------------------------------------------------


def floor_rows_per_second(package: Path, data: Path, repeats: int) -> dict[str, float]:
    """Rows/s of model.predict on the whole array in memory (best of ``repeats``, and the
    first call), and of the whole job written by hand in memory."""
    model = package / "model" / "model.joblib"
    out = data.with_suffix(".by-hand.out")
    command = [sys.executable, "-c", FLOOR, str(model), str(data), str(repeats), str(out)]
    done = subprocess.run(command, check=True, capture_output=True, env=ENVIRONMENT)
    found = json.loads(done.stdout)
    return {key: found["rows"] / found[key] for key in ("warm", "cold", "script")}


def parallel_ceiling(repeats: int) -> float:
    """Speedup of two CPU-bound processes over running them one after the other (best times)."""
    done = subprocess.run([sys.executable, "-c", CEILING, str(repeats)], check=True,
                          capture_output=True, text=True, env=ENVIRONMENT)  # fmt: skip
    return float(done.stdout)


def run_tiffin(package: Path, data: Path, output: Path, workers: int) -> Run:
    """One `tiffin batch` run into an empty ``output``."""
    shutil.rmtree(output, ignore_errors=True)
    tiffin = [sys.executable, "-m", "tiffin", "batch", str(package), "-i", str(data),
              "-o", str(output), "--workers", str(workers)]  # fmt: skip
    command = [sys.executable, "-c", MEASURE, *tiffin]
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=ENVIRONMENT)
    wall, rss_kib, status = done.stdout.split()
    if status != "0":
        raise RuntimeError(f"tiffin batch exited with {status}: {shlex.join(command)}")
    return Run(float(wall), int(rss_kib) / 1024)


def measure(package: Path, files: dict[int, Path], workdir: Path, rounds: int, key: str) -> dict:
    """Best wall time and median peak RSS per (workers, rows), alternating configurations.

    Other work on the machine only ever slows a run down, so the best of N runs is the
    least noisy estimate of each configuration's speed (the floor is a best of N too).
    """
    runs: dict[tuple[int, int], list[Run]] = {}
    for round_ in range(rounds):
        for workers in (1, 2) if round_ % 2 == 0 else (2, 1):
            for rows, data in files.items():
                run = run_tiffin(package, data, workdir / "out", workers)
                runs.setdefault((workers, rows), []).append(run)
                print(f"  {key} round {round_ + 1}: {workers} worker(s) {rows:>9,} rows "
                      f"{run.seconds:6.2f} s  peak RSS {run.rss_mib:6.1f} MiB",
                      flush=True)  # fmt: skip
    return {key: Run(min(r.seconds for r in found),
                     statistics.median(r.rss_mib for r in found))
            for key, found in runs.items()}  # fmt: skip


def check_outputs(package: Path, data: Path, workdir: Path) -> None:
    """One and two workers write the same bytes, and they are the model's predictions."""
    bodies = []
    for workers in (1, 2):
        run_tiffin(package, data, workdir / f"check{workers}", workers)
        bodies.append((workdir / f"check{workers}" / f"{data.name}.out").read_bytes())
    if bodies[0] != bodies[1]:
        raise RuntimeError("one and two workers wrote different outputs")
    import joblib

    model = joblib.load(package / "model" / "model.joblib")
    expected = model.predict(np.loadtxt(data, delimiter=","))
    if not np.array_equal(np.array(bodies[0].split(), dtype=np.int64), expected):
        raise RuntimeError("tiffin batch wrote something other than the model's predictions")


# -- report ----------------------------------------------------------------------------------


def summarize(floor: dict[str, float], best: dict) -> dict[str, float]:
    """Throughputs and ratios: wall (whole command on 1M rows) and scoring (start-up out).

    Scoring rows/s is (4M - 1M) rows / (t(4M) - t(1M)): what each extra row costs once
    the interpreter, the imports, the model loads and the pool are paid for; start-up is
    what is left of t(1M).
    """
    small, middle, big = SIZES
    out = {"floor": floor["warm"], "floor_cold": floor["cold"], "by_hand": floor["script"]}
    for workers in (1, 2):
        t_middle, t_big = best[workers, middle].seconds, best[workers, big].seconds
        out[f"wall{workers}"] = middle / t_middle
        out[f"marginal{workers}"] = (big - middle) / max(t_big - t_middle, 1e-3)
        out[f"startup{workers}"] = t_middle - middle / out[f"marginal{workers}"]
        for label, rows in (("small", small), ("middle", middle), ("big", big)):
            out[f"rss_{label}{workers}"] = best[workers, rows].rss_mib
    return out


def table(s: dict[str, float]) -> str:
    """The markdown table of the results; each target is checked on both throughputs."""
    rows = [
        "| | floor: `model.predict` on 1M rows in memory, best of 7 | tiffin batch, 1 worker "
        "| tiffin batch, 2 workers |",
        "|---|---|---|---|",
        _throughput_row("rows/s scoring (start-up taken out)", s, "marginal"),
        _throughput_row("rows/s of the whole command on 1M rows", s, "wall"),
        f"| start-up (interpreter, imports, model load; t(1M) less 1M rows of scoring) "
        f"| first call: {s['floor_cold']:,.0f} rows/s | {s['startup1']:.2f} s "
        f"| {s['startup2']:.2f} s |",
        f"| the same job by hand in memory (pyarrow read, predict, write; no start-up) "
        f"| {s['by_hand']:,.0f} rows/s | {s['marginal1'] / s['by_hand']:.2f} x by hand "
        f"| {s['marginal2'] / s['by_hand']:.2f} x by hand |",
        f"| peak RSS, 250k -> 1M -> 4M rows (largest process) | | {_rss(s, 1)} | {_rss(s, 2)} |",
        f"| this machine: 2 CPU-bound processes at once vs one after the other | | "
        f"| {s['ceiling']:.2f} x (the ceiling of any 2-worker speedup here) |",
    ]
    return "\n".join(rows)


def _throughput_row(label: str, s: dict[str, float], key: str) -> str:
    one, two = s[f"{key}1"], s[f"{key}2"]
    first, second = one / s["floor"], two / one
    return (f"| {label} | {s['floor']:,.0f} | {one:,.0f} = **{first:.2f} x floor** "
            f"(target >= {ONE_WORKER_TARGET:.2f}: {_met(first >= ONE_WORKER_TARGET)}) "
            f"| {two:,.0f} = **{second:.2f} x 1 worker** (target >= {TWO_WORKER_TARGET}: "
            f"{_met(second >= TWO_WORKER_TARGET)}) |")  # fmt: skip


def _rss(s: dict[str, float], workers: int) -> str:
    small, middle, big = (s[f"rss_{label}{workers}"] for label in ("small", "middle", "big"))
    flat = max(middle, big) - small <= RSS_GROWTH_LIMIT_MIB
    return (f"{small:.0f} -> {middle:.0f} -> {big:.0f} MiB (target: grows <= "
            f"{RSS_GROWTH_LIMIT_MIB} MiB: {_met(flat)})")  # fmt: skip


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def model_heading(model: Model, s: dict[str, float]) -> str:
    """What the model is and what its predict costs a row (the floor), above its table."""
    return (f"**{model.key}**: {model.title}; `model.predict` costs "
            f"{1e6 / s['floor']:.3f} us a row ({model.kind})")  # fmt: skip


def record(summaries: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    """Append a dated section with a table per model, machine and command to RESULTS.md."""
    python = os.path.relpath(sys.executable)
    command = shlex.join([sys.executable if python.startswith("..") else python, *sys.argv])
    tables = "\n".join(
        f"{model_heading(MODELS[key], summary)}\n\n{table(summary)}\n"
        for key, summary in summaries.items()
    )
    section = (
        f"\n## Batch prediction, {datetime.date.today().isoformat()}\n\n"
        f"- machine: {machine()}\n"
        f"- command: `{command}`\n"
        f"- setup: {' and '.join(summaries)} packaged like examples/iris, on generated 250k-, "
        f"1M- and 4M-row CSVs; native thread pools: {args.native_threads} thread(s) per "
        f"process; best of {args.rounds} runs per configuration (peak RSS: median); scoring "
        f"rows/s = 3,000,000 / (t(4M) - t(1M)); start-up = t(1M) - 1M / scoring rows/s; the "
        f"machine ceiling is measured right after each model's runs\n\n"
        f"{tables}"
    )
    append_results(section)


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="runs per configuration [7]")
    parser.add_argument("--quick", action="store_true", help="1 round; records nothing")
    parser.add_argument("--model", choices=("lr", "forest", "both"), default="both",
                        help="which model(s) to measure [both]")  # fmt: skip
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--native-threads", choices=("1", "default"), default="1",
                        help="BLAS/OpenMP threads per process, floor and tiffin alike")  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.no_record = 1, True
    return args


def bench_model(model: Model, files: dict[int, Path], workdir: Path, rounds: int) -> dict:
    """Check, then measure one model: floor, tiffin runs, and the machine ceiling after them."""
    started = time.perf_counter()
    package = model.prepare(workdir)
    check_outputs(package, files[SIZES[0]], workdir)
    print(f"{model.key}: prepared and checked in {time.perf_counter() - started:.1f} s",
          flush=True)  # fmt: skip
    floor = floor_rows_per_second(package, files[SIZES[1]], repeats=7)
    print(f"  {model.key} floor: model.predict on the 1M-row array: {floor['warm']:,.0f} rows/s "
          f"(first call {floor['cold']:,.0f}); by hand in memory {floor['script']:,.0f}",
          flush=True)  # fmt: skip
    summary = summarize(floor, measure(package, files, workdir, rounds, model.key))
    summary["ceiling"] = parallel_ceiling(rounds)
    print(f"  {model.key}: machine ceiling {summary['ceiling']:.2f} x", flush=True)
    return summary


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.native_threads == "1":
        ENVIRONMENT.update(dict.fromkeys(NATIVE_THREADS, "1"))
    keys = list(MODELS) if args.model == "both" else [args.model]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tiffin-bench-batch-") as tmp:
        workdir = Path(tmp)
        files = {rows: write_csv(workdir / f"iris-{rows}.csv", rows) for rows in SIZES}
        print(f"wrote the data in {time.perf_counter() - started:.1f} s", flush=True)
        summaries = {key: bench_model(MODELS[key], files, workdir, args.rounds) for key in keys}
    for key, summary in summaries.items():
        print(f"\n{model_heading(MODELS[key], summary)}\n\n{table(summary)}")
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s")
    if not args.no_record:
        record(summaries, args)
        print(f"\nappended to {os.path.relpath(RESULTS)}")


if __name__ == "__main__":
    main()
