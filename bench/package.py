"""Packaging benchmark: tiffin.package + tiffin.load against joblib.dump + joblib.load.

    .venv/bin/python bench/package.py             # full run, appends to bench/RESULTS.md
    .venv/bin/python bench/package.py --quick     # smoke run, records nothing

The model is a scikit-learn random forest whose joblib file is ~100 MB. Each round saves
and loads it both ways, alternating which goes first; the table reports medians.
See bench/README.md for what is measured and how to read it.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from common import RESULTS, append_results, machine
from sklearn.ensemble import RandomForestRegressor

import tiffin

TARGET = 1.2
"""tiffin's save + load may take at most this multiple of joblib's own."""


@dataclass(frozen=True)
class Timing:
    """Seconds spent saving and loading the model once (or the medians of several rounds)."""

    save: float
    load: float
    total: float


def build_model(trees: int) -> RandomForestRegressor:
    """A forest fitted on random data: deep trees, so the file grows ~1.8 MB per tree."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(20_000, 10))
    target = features[:, 0] + rng.normal(size=20_000)
    return RandomForestRegressor(n_estimators=trees, n_jobs=-1, random_state=0).fit(
        features, target
    )


def timed(save: Callable[[], Any], load: Callable[[], Any]) -> Timing:
    """Time ``save()`` then ``load()``, after a garbage collection outside the clock."""
    gc.collect()
    start = time.perf_counter()
    save()
    saved = time.perf_counter()
    load()
    end = time.perf_counter()
    return Timing(saved - start, end - saved, end - start)


def raw_joblib(model: Any, workdir: Path) -> Timing:
    """The floor: the framework's own save and load of the same object."""
    path = workdir / "model.joblib"
    try:
        return timed(lambda: joblib.dump(model, path), lambda: joblib.load(path))
    finally:
        path.unlink(missing_ok=True)


def tiffin_package(model: Any, workdir: Path) -> Timing:
    """``tiffin.package`` (infer requirements, save, write the package) + ``tiffin.load``."""
    path = workdir / "pkg"
    try:
        return timed(lambda: tiffin.package(model, path), lambda: tiffin.load(path))
    finally:
        shutil.rmtree(path, ignore_errors=True)


MEASURES = {"joblib": raw_joblib, "tiffin": tiffin_package}


def measure(model: Any, workdir: Path, rounds: int) -> dict[str, Timing]:
    """One warm-up round, then ``rounds`` alternating rounds; the median Timing of each."""
    cold = time.perf_counter()
    tiffin_package(model, workdir)
    print(f"  first tiffin.package + load in this process: {time.perf_counter() - cold:.3f} s")
    raw_joblib(model, workdir)
    samples: dict[str, list[Timing]] = {name: [] for name in MEASURES}
    names = list(MEASURES)
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:
            timing = MEASURES[name](model, workdir)
            samples[name].append(timing)
            print(f"  round {round_ + 1} {name:7} save {timing.save * 1e3:7.1f} ms  "
                  f"load {timing.load * 1e3:7.1f} ms", flush=True)  # fmt: skip
    return {name: median(found) for name, found in samples.items()}


def median(samples: list[Timing]) -> Timing:
    """The median of each of save, load and total on its own."""
    return Timing(*(statistics.median(getattr(s, f) for s in samples)
                    for f in ("save", "load", "total")))  # fmt: skip


def table(results: dict[str, Timing]) -> str:
    """A markdown table of save, load and both, in milliseconds, with tiffin's ratio."""
    base, ours = results["joblib"], results["tiffin"]
    lines = ["| step | joblib ms | tiffin ms | ratio | target |", "|---|---|---|---|---|"]
    for label, attr in (("save", "save"), ("load", "load"), ("save + load", "total")):
        raw, tiff = getattr(base, attr), getattr(ours, attr)
        met = ("met" if tiff / raw <= TARGET else "MISSED") if attr == "total" else ""
        lines.append(f"| {label} | {raw * 1e3:.1f} | {tiff * 1e3:.1f} | {tiff / raw:.2f} | {met} |")
    return "\n".join(lines)


def record(results: dict[str, Timing], size_mb: float, args: argparse.Namespace) -> None:
    """Append a dated section with the table, machine, command and target to RESULTS.md."""
    python = os.path.relpath(sys.executable)
    command = shlex.join([sys.executable if python.startswith("..") else python, *sys.argv])
    section = (
        f"\n## {datetime.date.today().isoformat()}: packaging\n\n"
        f"- machine: {machine()}\n"
        f"- command: `{command}`\n"
        f"- model: RandomForestRegressor, {args.trees} trees; joblib file {size_mb:.1f} MB\n"
        f"- setup: one warm-up round, then the median of {args.rounds} rounds alternating "
        f"the two; files in a temporary directory ({tempfile.gettempdir()})\n"
        f"- target: tiffin.package + tiffin.load <= {TARGET} x joblib.dump + joblib.load\n\n"
        f"{table(results)}\n"
    )
    append_results(section)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9, help="measured rounds [9]")
    parser.add_argument("--trees", type=int, default=55, help="trees in the forest [55]")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 3 rounds, 10 trees; records nothing"
    )
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.trees, args.no_record = 3, 10, True
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print(f"fitting a {args.trees}-tree forest ...", flush=True)
    model = build_model(args.trees)
    with tempfile.TemporaryDirectory(prefix="tiffin-bench-") as tmp:
        workdir = Path(tmp)
        joblib.dump(model, workdir / "size.joblib")
        size_mb = (workdir / "size.joblib").stat().st_size / 1e6
        (workdir / "size.joblib").unlink()
        print(f"joblib file: {size_mb:.1f} MB", flush=True)
        results = measure(model, workdir, args.rounds)
    print("\n" + table(results))
    if not args.no_record:
        record(results, size_mb, args)
        print(f"\nappended to {os.path.relpath(RESULTS)}")


if __name__ == "__main__":
    main()
