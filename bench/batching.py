"""Adaptive batching benchmark: a compute-bound forest, one row per request, 64 connections.

    .venv/bin/python bench/batching.py            # full run, appends to bench/RESULTS.md
    .venv/bin/python bench/batching.py --quick    # smoke run, records nothing

Servers, each one process (group) pinned to one core, wrk on the other: tiffin with
batching, tiffin without, the minimal Starlette app (bench/baseline_app.py), MLServer and
BentoML with their adaptive batching on (each in its own venv under bench/, created on
first use). Every server answers the same row with the same prediction before it is
measured. Rounds alternate the servers; tables report medians and ratios to the minimal
app. See bench/README.md ("Adaptive batching benchmark").
"""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
from common import (
    RESULTS,
    append_results,
    load_parser,
    machine,
    parse_load_args,
    prepare_forest,
    prepare_run,
)
from peers import BENTOML_VENV, MLSERVER_VENV, bentoml_server, mlserver_server, version_in
from serve import JSON, Protocol, Server, baseline_server, running
from wrk import SLOW_SECONDS, Load, Sample, lua_script, median, run_wrk

ROW = [5.1, 3.5, 1.4, 0.2]
V2 = Protocol("oip_v2", "/v2/models/iris/infer",
              '{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP64",'
              '"data":[5.1,3.5,1.4,0.2]}]}',
              lambda answer: answer["outputs"][0]["data"])  # fmt: skip
"""Open Inference Protocol V2 REST: spoken by tiffin, the minimal app and MLServer."""
BENTOML = Protocol("bentoml", "/predict", '{"rows":[[5.1,3.5,1.4,0.2]]}', lambda answer: answer)
"""BentoML's own JSON API for its ``predict(rows)``."""

TARGET_RPS = 5.0
"""tiffin with batching: at least this many times the minimal app's req/s..."""
TARGET_PEER = 2.0
"""... and this many times the best peer's."""


@dataclass(frozen=True)
class Entry:
    """A server and the request it is measured with."""

    server: Server
    protocol: Protocol


def tiffin(name: str, package: Path, args: argparse.Namespace, *flags: str) -> Server:
    """``tiffin serve`` of ``package``, one worker, with ``flags``."""
    return Server(
        name,
        [sys.executable, "-m", "tiffin", "serve", str(package), "--port", "{port}",
         "--workers", "1", "--no-grpc", *flags],
        args.server_cpu, package.parent / f"{name}.log",
    )  # fmt: skip


def entries(package: Path, workdir: Path, args: argparse.Namespace) -> list[Entry]:
    """Every server of the run, in the order of the tables."""
    model = package / "model" / "model.joblib"
    batching = ("--max-batch-size", str(args.max_batch_size),
                "--max-latency-ms", f"{args.max_latency_ms:g}")  # fmt: skip
    found = [
        Entry(tiffin("tiffin-batching", package, args, *batching), V2),
        Entry(tiffin("tiffin", package, args), V2),
        Entry(baseline_server(package, args), V2),
    ]
    if not args.no_peers:
        found += [
            Entry(mlserver_server(model, workdir, args.server_cpu, args.max_batch_size,
                                  args.mlserver_batch_time), V2),
            Entry(bentoml_server(model, workdir, args.server_cpu, args.max_batch_size,
                                 args.bentoml_latency_ms), BENTOML),
        ]  # fmt: skip
    return found


def opt_in(package: Path) -> None:
    """Say in the package's spec that its model accepts batches (``batching: true``)."""
    spec = package / "tiffin.yaml"
    spec.write_text(spec.read_text() + "batching: true\n")


def verify(found: list[Entry]) -> None:
    """Every server answers the row with the same prediction."""
    predictions = {}
    for entry in found:
        url = entry.server.url + entry.protocol.path
        response = httpx.post(url, content=entry.protocol.body, headers=JSON, timeout=30)
        if response.status_code != 200:
            raise RuntimeError(f"{entry.server.name}: {response.status_code} {response.text}")
        predictions[entry.server.name] = entry.protocol.prediction(response.json())
    if len({repr(p) for p in predictions.values()}) != 1:
        raise RuntimeError(f"the servers disagree: {predictions}")


def measure(found: list[Entry], load: Load, workdir: Path, client_cpu: str) -> dict[str, Sample]:
    """Alternate the servers for ``load.rounds``, each run right after a warm-up run; the
    median Sample of each server."""
    verify(found)
    samples: dict[str, list[Sample]] = {entry.server.name: [] for entry in found}
    warmup = Load(load.connections, load.warmup, load.timeout)
    for round_ in range(load.rounds):
        for entry in found if round_ % 2 == 0 else found[::-1]:
            protocol, server = entry.protocol, entry.server
            script = lua_script(protocol.name, protocol.body, workdir)
            if load.warmup > 0:
                run_wrk(server.url + protocol.path, script, warmup, client_cpu)
            sample = run_wrk(server.url + protocol.path, script, load, client_cpu)
            samples[server.name].append(sample)
            print(f"  round {round_ + 1} {server.name:16} {sample.rps:9.0f} req/s  "
                  f"p50 {sample.p50_ms:.1f} ms  p99 {sample.p99_ms:.1f} ms  "
                  f"max {sample.max_ms:.1f} ms", flush=True)  # fmt: skip
    return {name: median(found) for name, found in samples.items()}


# -- report ----------------------------------------------------------------------------------

HEADER = ("| server | route | req/s | p50 ms | p99 ms | max ms | req/s / minimal "
          "| p99 / minimal |")  # fmt: skip


def table(results: dict[str, Sample], found: list[Entry]) -> str:
    """One row per server, with its ratios to the minimal app."""
    base = results["baseline"]
    routes = {entry.server.name: entry.protocol.path for entry in found}
    lines = [HEADER, "|" + "---|" * HEADER.count(" | ") + "---|"]
    for name, sample in results.items():
        lines.append(
            f"| {name} | `{routes[name]}` | {sample.rps:,.0f} | {sample.p50_ms:,.1f} "
            f"| {sample.p99_ms:,.1f} | {sample.max_ms:,.1f} | {sample.rps / base.rps:.2f} "
            f"| {sample.p99_ms / base.p99_ms:.2f} |"
        )
    return "\n".join(lines)


def verdicts(results: dict[str, Sample]) -> str:
    """The three targets: req/s against the minimal app and the best peer, p99."""
    mine, base = results["tiffin-batching"], results["baseline"]
    peers = {name: s for name, s in results.items() if name in ("mlserver", "bentoml")}
    rps = mine.rps / base.rps
    p99 = mine.p99_ms / base.p99_ms
    lines = [f"- tiffin with batching / minimal app req/s: {rps:.1f} (target >= "
             f"{TARGET_RPS:g}: {'met' if rps >= TARGET_RPS else 'MISSED'})",
             f"- tiffin with batching / minimal app p99: {p99:.2f} (target <= 1.00: "
             f"{'met' if round(p99, 2) <= 1.0 else 'MISSED'})"]  # fmt: skip
    if peers:
        best = max(peers, key=lambda name: peers[name].rps)
        ratio = mine.rps / peers[best].rps
        verdict = "met" if ratio >= TARGET_PEER else "MISSED"
        lines.append(f"- tiffin with batching / best peer ({best}) req/s: {ratio:.1f} (target "
                     f">= {TARGET_PEER:g}: {verdict})")  # fmt: skip
    return "\n".join(lines)


TITLE = ("RandomForestClassifier(n_estimators=100, max_depth=10) on iris, one row per request; "
         "`predict` takes ~3 ms for one row, little more for 64")  # fmt: skip


def record(text: str, args: argparse.Namespace) -> None:
    """Append a dated section with the table, machine, command and settings to RESULTS.md."""
    python = os.path.relpath(sys.executable)
    command = shlex.join([sys.executable if python.startswith("..") else python, *sys.argv])
    peers = "" if args.no_peers else (
        f"; mlserver {version_in(MLSERVER_VENV, 'mlserver')} (max_batch_size "
        f"{args.max_batch_size}, max_batch_time {args.mlserver_batch_time:g} s, "
        f"parallel_workers 0), bentoml {version_in(BENTOML_VENV, 'bentoml')} (max_batch_size "
        f"{args.max_batch_size}, max_latency_ms {args.bentoml_latency_ms})"
    )  # fmt: skip
    section = (
        f"\n## {datetime.date.today().isoformat()}: adaptive batching\n\n"
        f"- machine: {machine()}\n"
        f"- command: `{command}`\n"
        f"- setup: every server one worker on core {args.server_cpu}; tiffin with batching: "
        f"`--max-batch-size {args.max_batch_size} --max-latency-ms {args.max_latency_ms:g}`"
        f"{peers}; `wrk -t1 -c{args.connections}` on core {args.client_cpu}, "
        f"{args.warmup:g} s warm-up, median of {args.rounds} x {args.duration:g} s rounds\n"
        f"- targets: tiffin with batching >= {TARGET_RPS:g} x the minimal app's req/s and "
        f">= {TARGET_PEER:g} x the best peer's, p99 no worse than the minimal app's\n\n"
        f"**forest**: {TITLE}\n\n{text}\n"
    )
    append_results(section)


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = load_parser(__doc__, rounds=3, warmup=3, connections=64, client="wrk", quick=3.0)
    parser.add_argument("--max-batch-size", type=int, default=64,
                        help="every batching server's batch limit, in rows [64]")  # fmt: skip
    parser.add_argument("--max-latency-ms", type=float, default=0,
                        help="tiffin's --max-latency-ms [0]")  # fmt: skip
    parser.add_argument("--mlserver-batch-time", type=float, default=0.005,
                        help="MLServer's max_batch_time, seconds [0.005]")  # fmt: skip
    parser.add_argument("--bentoml-latency-ms", type=int, default=10000,
                        help="BentoML's max_latency_ms [10000]")  # fmt: skip
    parser.add_argument("--no-peers", action="store_true", help="leave MLServer and BentoML out")
    return parse_load_args(parser, argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    prepare_run(("wrk", "taskset"), "wrk")
    load = Load(args.connections, args.duration, SLOW_SECONDS, args.rounds, args.warmup)
    with tempfile.TemporaryDirectory(prefix="tiffin-bench-") as tmp:
        workdir = Path(tmp)
        package = prepare_forest(workdir)
        opt_in(package)
        found = entries(package, workdir, args)
        with ExitStack() as stack:
            for entry in found:
                stack.enter_context(running(entry.server, entry.protocol))
            results = measure(found, load, workdir, args.client_cpu)
    text = f"{table(results, found)}\n\n{verdicts(results)}"
    print("\n" + text)
    if not args.no_record:
        record(text, args)
        print(f"\nappended to {os.path.relpath(RESULTS)}")


if __name__ == "__main__":
    main()
