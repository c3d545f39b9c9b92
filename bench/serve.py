"""Serving benchmark: ``tiffin serve`` against a minimal Starlette app and KServe, with wrk.

    .venv/bin/python bench/serve.py               # full run, appends to bench/RESULTS.md
    .venv/bin/python bench/serve.py --quick       # smoke run, records nothing

Two models. ``lr``, the cheap iris LogisticRegression: tiffin against the minimal app on
every JSON protocol (what tiffin's serving costs). ``forest``, a compute-bound 100-tree
forest: tiffin, the minimal app and KServe's own model server on the KServe V1 route, at 32
connections and at 256 (whether requests are served in arrival order under load). Every
server runs one worker pinned to one core; wrk runs on another. Each measured run starts
right after a warm-up run on the same server; rounds alternate the servers; tables report
medians. See bench/README.md for what is measured and how to read it.
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
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
from common import (
    BENCH_DIR,
    RESULTS,
    append_results,
    free_port,
    load_parser,
    machine,
    parse_load_args,
    prepare_forest,
    prepare_iris,
    prepare_run,
)
from wrk import SLOW_SECONDS, Load, Sample, lua_script, median, run_wrk

RPS_TARGET = 0.85
"""On ``lr``, tiffin must serve at least this fraction of the baseline's requests per second."""

NOISE = 0.05
"""Rounds on a shared 2-core VM vary by several percent: a ratio this close to its target is
reported as within the noise rather than met or missed."""

KSERVE_VENV = BENCH_DIR / ".venv-kserve"
"""KServe's model server lives in its own virtual environment, created on first use."""


@dataclass(frozen=True)
class Protocol:
    """One JSON prediction route: where to POST one iris row, and how to read the answer."""

    name: str
    path: str
    body: str
    prediction: Callable[[Any], Any]


PROTOCOLS = (
    Protocol("sagemaker", "/invocations", "[[5.1,3.5,1.4,0.2]]", lambda answer: answer),
    Protocol("kserve_v1", "/v1/models/iris:predict", '{"instances":[[5.1,3.5,1.4,0.2]]}',
             lambda answer: answer["predictions"]),
    Protocol("oip_v2", "/v2/models/iris/infer",
             '{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP64",'
             '"data":[5.1,3.5,1.4,0.2]}]}',
             lambda answer: answer["outputs"][0]["data"]),
    Protocol("simple", "/api/ml/predict", "[[5.1,3.5,1.4,0.2]]", lambda answer: answer),
)  # fmt: skip
FOREST_PROTOCOL = PROTOCOLS[1]
"""The compute-bound model is served on the one route all three servers speak: KServe V1."""


# -- servers ---------------------------------------------------------------------------------


class Server:
    """A server process group pinned to one core, logging to a file, stopped as a unit."""

    def __init__(self, name: str, argv: list[str], cpu: str, log: Path, **env: str) -> None:
        self.name = name
        self.port = free_port()
        self.argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.cpu = cpu
        self.log = log
        self.env = {**os.environ, **env}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, probe: Protocol, timeout: float = 60.0) -> None:
        """Start the server and wait until ``probe`` answers 200."""
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                ["taskset", "-c", self.cpu, *self.argv],
                stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at startup:\n{self.log_tail()}")
            try:
                if httpx.post(self.url + probe.path, content=probe.body, headers=JSON).is_success:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout:g}s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM the whole process group; SIGKILL it if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(grace)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


JSON = {"Content-Type": "application/json"}


@contextmanager
def running(server: Server, probe: Protocol) -> Iterator[Server]:
    """Start ``server`` and stop it on exit, whatever happens."""
    try:
        server.start(probe)
        yield server
    finally:
        server.stop()


# -- measurement -----------------------------------------------------------------------------


def verify(protocol: Protocol, servers: list[Server]) -> None:
    """Both servers answer 200 with the same prediction for ``protocol``."""
    predictions = {}
    for server in servers:
        response = httpx.post(server.url + protocol.path, content=protocol.body, headers=JSON)
        if response.status_code != 200:
            raise RuntimeError(f"{server.name} {protocol.path}: {response.status_code} "
                               f"{response.text}")  # fmt: skip
        predictions[server.name] = protocol.prediction(response.json())
    if len({repr(p) for p in predictions.values()}) != 1:
        raise RuntimeError(f"{protocol.name}: the servers disagree: {predictions}")


def measure(
    protocol: Protocol, servers: list[Server], load: Load, workdir: Path, client_cpu: str
) -> dict[str, Sample]:
    """Alternate the servers for ``load.rounds``; the median Sample of each.

    Each measured run starts right after a warm-up run on the same server, so its
    connections arrive while the server is still busy with the warm-up's requests.
    """
    verify(protocol, servers)
    warm = lua_script(protocol.name, protocol.body, workdir)
    script = lua_script(protocol.name, protocol.body, workdir, load.count_slow)
    warmup = Load(load.connections, load.warmup, load.timeout)
    samples: dict[str, list[Sample]] = {server.name: [] for server in servers}
    for round_ in range(load.rounds):
        for server in servers if round_ % 2 == 0 else servers[::-1]:
            if load.warmup > 0:
                run_wrk(server.url + protocol.path, warm, warmup, client_cpu)
            sample = run_wrk(server.url + protocol.path, script, load, client_cpu)
            samples[server.name].append(sample)
            show(protocol, load, round_, server, sample)
    return {name: median(found) for name, found in samples.items()}


def show(protocol: Protocol, load: Load, round_: int, server: Server, sample: Sample) -> None:
    """Print one measured run."""
    slow = "" if sample.slow is None else f"  over {SLOW_SECONDS} s: {sample.slow}"
    print(f"  {protocol.name:10} c{load.connections:<4} round {round_ + 1} {server.name:8} "
          f"{sample.rps:9.0f} req/s  p50 {sample.p50_ms:.2f} ms  p99 {sample.p99_ms:.2f} ms  "
          f"max {sample.max_ms:.2f} ms{slow}", flush=True)  # fmt: skip


# -- servers of each model -------------------------------------------------------------------


def baseline_server(package: Path, args: argparse.Namespace) -> Server:
    """The minimal Starlette app serving ``package``'s joblib file."""
    return Server(
        "baseline",
        [sys.executable, "-m", "uvicorn", "--app-dir", str(BENCH_DIR), "baseline_app:app",
         "--port", "{port}", "--workers", "1", "--loop", "uvloop", "--http", "httptools",
         "--no-access-log", "--log-level", "warning"],
        args.server_cpu, package.parent / f"baseline-{package.name}.log",
        BENCH_MODEL_PATH=str(package / "model" / "model.joblib"),
    )  # fmt: skip


def tiffin_server(package: Path, args: argparse.Namespace) -> Server:
    """``tiffin serve`` with default settings and one worker."""
    return Server(
        "tiffin",
        [sys.executable, "-m", "tiffin", "serve", str(package), "--port", "{port}",
         "--workers", "1"],
        args.server_cpu, package.parent / f"tiffin-{package.name}.log",
    )  # fmt: skip


def kserve_server(package: Path, args: argparse.Namespace) -> Server:
    """KServe's own model server (kserve_app.py) serving ``package``'s joblib file."""
    return Server(
        "kserve",
        [str(kserve_python()), str(BENCH_DIR / "kserve_app.py"), "--http_port", "{port}"],
        args.server_cpu, package.parent / f"kserve-{package.name}.log",
        BENCH_MODEL_PATH=str(package / "model" / "model.joblib"),
    )  # fmt: skip


def kserve_python() -> Path:
    """The interpreter of :data:`KSERVE_VENV`, created first if missing: ``kserve`` plus this
    environment's scikit-learn, joblib and numpy, so it loads the same joblib file."""
    python = KSERVE_VENV / "bin" / "python"
    check = [str(python), "-c", "import kserve, sklearn"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"creating {os.path.relpath(KSERVE_VENV)} with kserve (once) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(KSERVE_VENV)], check=True)
    pins = [f"{name}=={metadata.version(name)}" for name in ("scikit-learn", "joblib", "numpy")]
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "kserve", *pins], check=True)
    return python


def kserve_version() -> str:
    """The version of kserve in :data:`KSERVE_VENV`, for the record."""
    return subprocess.run(
        [str(kserve_python()), "-c", "from importlib.metadata import version; "
         "print(version('kserve'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


# -- the two models --------------------------------------------------------------------------


Results = dict[str, dict[str, Sample]]
"""Median Samples by row (a protocol, or a connection count) and by server name."""


def bench_lr(workdir: Path, args: argparse.Namespace) -> Results:
    """The cheap model on every JSON protocol: tiffin against the minimal app."""
    package = prepare_iris(workdir)
    protocols = [p for p in PROTOCOLS if not args.protocol or p.name in args.protocol]
    load = Load(args.connections, args.duration, SLOW_SECONDS, args.rounds, args.warmup)
    results: Results = {}
    with ExitStack() as stack:
        servers = [
            stack.enter_context(running(make(package, args), protocols[0]))
            for make in (baseline_server, tiffin_server)
        ]
        for protocol in protocols:
            results[protocol.name] = measure(protocol, servers, load, workdir, args.client_cpu)
    return results


def bench_forest(workdir: Path, args: argparse.Namespace) -> Results:
    """The compute-bound model on KServe V1: the minimal app, KServe and tiffin, in rounds at
    ``--connections``, then one long run each at ``--long-connections``."""
    package = prepare_forest(workdir)
    protocol = FOREST_PROTOCOL
    makers = [baseline_server] + ([] if args.no_kserve else [kserve_server]) + [tiffin_server]
    loads = [
        Load(args.connections, args.duration, SLOW_SECONDS, args.rounds, args.warmup),
        Load(args.long_connections, args.long_duration, args.long_duration + 30,
             warmup=args.warmup, count_slow=True),
    ]  # fmt: skip
    with ExitStack() as stack:
        servers = [stack.enter_context(running(make(package, args), protocol)) for make in makers]
        return {
            str(load.connections): measure(protocol, servers, load, workdir, args.client_cpu)
            for load in loads
        }


# -- report ----------------------------------------------------------------------------------


HEADER = ("| protocol | baseline rps | tiffin rps | ratio | baseline p50/p99 ms "
          "| tiffin p50/p99 ms | p99 ratio | target |")  # fmt: skip


def table(results: Results) -> str:
    """A markdown table comparing tiffin to the baseline, one row per protocol."""
    lines = [HEADER, "|" + "---|" * HEADER.count(" | ") + "---|"]
    for name, by_server in results.items():
        base, tiffin = by_server["baseline"], by_server["tiffin"]
        ratio, p99_ratio = tiffin.rps / base.rps, tiffin.p99_ms / base.p99_ms
        met = "met" if ratio >= RPS_TARGET and round(p99_ratio, 2) <= 1.0 else "MISSED"
        lines.append(
            f"| {name} | {base.rps:,.0f} | {tiffin.rps:,.0f} | {ratio:.2f} "
            f"| {base.p50_ms:.2f} / {base.p99_ms:.2f} | {tiffin.p50_ms:.2f} / {tiffin.p99_ms:.2f} "
            f"| {p99_ratio:.2f} | {met} |"
        )
    return "\n".join(lines)


FOREST_HEADER = (f"| connections | server | req/s | p50 ms | p99 ms | max ms "
                 f"| requests over {SLOW_SECONDS} s |")  # fmt: skip


def forest_table(results: Results) -> str:
    """A markdown table of every server at each connection count."""
    lines = [FOREST_HEADER, "|" + "---|" * FOREST_HEADER.count(" | ") + "---|"]
    for connections, by_server in results.items():
        for name, sample in by_server.items():
            slow = "" if sample.slow is None else str(sample.slow)
            lines.append(f"| {connections} | {name} | {sample.rps:,.0f} | {sample.p50_ms:,.1f} "
                         f"| {sample.p99_ms:,.1f} | {sample.max_ms:,.1f} | {slow} |")  # fmt: skip
    return "\n".join(lines)


def verdict(value: float, target: float, at_least: bool) -> str:
    """``met``, ``within noise`` (misses by at most :data:`NOISE`) or ``MISSED``."""
    margin = round(round(value, 2) - target if at_least else target - round(value, 2), 2)
    return "met" if margin >= 0 else "within noise" if margin >= -NOISE else "MISSED"


def forest_verdicts(results: Results, connections: int) -> str:
    """The targets at ``connections``: req/s no worse than the minimal app's, p99 no worse
    than KServe's; the other ratios for context."""
    row = results[str(connections)]
    base, tiffin, kserve = row["baseline"], row["tiffin"], row.get("kserve")
    rps = tiffin.rps / base.rps
    lines = [f"- at {connections} connections, tiffin / baseline req/s: {rps:.2f} "
             f"(target >= 1.00: {verdict(rps, 1.0, at_least=True)}); "
             f"p99: {tiffin.p99_ms / base.p99_ms:.2f}"]  # fmt: skip
    if kserve is not None:
        p99 = tiffin.p99_ms / kserve.p99_ms
        lines.append(f"- at {connections} connections, tiffin / KServe p99: {p99:.2f} "
                     f"(target <= 1.00: {verdict(p99, 1.0, at_least=False)}); "
                     f"req/s: {tiffin.rps / kserve.rps:.2f}")  # fmt: skip
    return "\n".join(lines)


def report(lr: Results | None, forest: Results | None, args: argparse.Namespace) -> str:
    """The markdown tables and verdicts of this run."""
    parts = []
    if lr is not None:
        parts.append(f"**lr**: {LR_TITLE}\n\n{table(lr)}")
    if forest is not None:
        parts.append(f"**forest**: {FOREST_TITLE}\n\n{forest_table(forest)}\n\n"
                     f"{forest_verdicts(forest, args.connections)}")  # fmt: skip
    return "\n\n".join(parts)


LR_TITLE = ("LogisticRegression (examples/iris), one row per request; tiffin against the "
            "minimal app on every JSON protocol")  # fmt: skip
FOREST_TITLE = ("RandomForestClassifier(n_estimators=100, max_depth=10) on iris, one row per "
                "request, `POST /v1/models/iris:predict`; `predict` takes ~3 ms")  # fmt: skip


def record(text: str, args: argparse.Namespace, kserve: str | None) -> None:
    """Append a dated section with the tables, machine, command and targets to RESULTS.md."""
    python = os.path.relpath(sys.executable)
    command = shlex.join([sys.executable if python.startswith("..") else python, *sys.argv])
    kserve = f"; kserve {kserve}" if kserve else ""
    section = (
        f"\n## {datetime.date.today().isoformat()}\n\n"
        f"- machine: {machine()}\n"
        f"- command: `{command}`\n"
        f"- setup: one worker per server on core {args.server_cpu}{kserve}; "
        f"`wrk -t1 -c{args.connections}` on core {args.client_cpu}, {args.warmup:g} s warm-up, "
        f"median of {args.rounds} x {args.duration:g} s rounds; forest also one "
        f"{args.long_duration:g} s run of `wrk -c{args.long_connections}` per server\n"
        f"- targets: lr: ratio >= {RPS_TARGET} for every JSON protocol and tiffin p99 no worse "
        f"than the baseline's; forest at {args.connections} connections: tiffin req/s no worse "
        f"than the baseline's, tiffin p99 no worse than KServe's\n\n"
        f"{text}\n"
    )
    if not RESULTS.exists():
        RESULTS.write_text("# Serving benchmark results\n\nAppended by `bench/serve.py`.\n")
    append_results(section)


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = load_parser(__doc__, rounds=3, warmup=3, connections=32, client="wrk", quick=2.0)
    parser.add_argument("--model", choices=("lr", "forest", "both"), default="both",
                        help="which model to serve [both]")  # fmt: skip
    parser.add_argument("--long-connections", type=int, default=256,
                        help="connections of forest's long run [256]")  # fmt: skip
    parser.add_argument("--long-duration", type=float, default=60,
                        help="seconds of forest's long run [60]")  # fmt: skip
    parser.add_argument("--no-kserve", action="store_true", help="leave KServe out of forest")
    parser.add_argument("--protocol", action="append", choices=[p.name for p in PROTOCOLS],
                        help="lr: only these protocols (repeatable) [all]")  # fmt: skip
    args = parse_load_args(parser, argv)
    if args.quick:
        args.long_duration = 5.0
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    prepare_run(("wrk", "taskset"), "wrk")
    uses_kserve = args.model != "lr" and not args.no_kserve
    kserve = kserve_version() if uses_kserve else None
    with tempfile.TemporaryDirectory(prefix="tiffin-bench-") as tmp:
        workdir = Path(tmp)
        lr = bench_lr(workdir, args) if args.model in ("lr", "both") else None
        forest = bench_forest(workdir, args) if args.model in ("forest", "both") else None
    text = report(lr, forest, args)
    print("\n" + text)
    if not args.no_record:
        record(text, args, kserve)
        print(f"\nappended to {os.path.relpath(RESULTS)}")


if __name__ == "__main__":
    main()
