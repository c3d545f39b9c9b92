"""Serving benchmark: ``tiffin serve`` against a minimal Starlette app, per protocol, with wrk.

    .venv/bin/python bench/serve.py               # full run, appends to bench/RESULTS.md
    .venv/bin/python bench/serve.py --quick       # smoke run, records nothing

Both servers run one worker pinned to one core; wrk runs on another. Each protocol is warmed
up, then measured for several rounds alternating the two servers; the table reports medians.
See bench/README.md for what is measured and how to read it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from common import BENCH_DIR, RESULTS, append_results, free_port, machine, prepare_iris

RPS_TARGET = 0.85
"""tiffin must serve at least this fraction of the baseline's requests per second."""


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


@dataclass(frozen=True)
class Sample:
    """One wrk measurement: throughput and latency percentiles in milliseconds."""

    rps: float
    p50_ms: float
    p99_ms: float


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


# -- wrk -------------------------------------------------------------------------------------


def lua_script(protocol: Protocol, directory: Path) -> Path:
    """Write the wrk script that POSTs ``protocol``'s body; return its path."""
    path = directory / f"{protocol.name}.lua"
    path.write_text(
        f'wrk.method = "POST"\n'
        f"wrk.body = [=[{protocol.body}]=]\n"
        f'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return path


def run_wrk(url: str, script: Path, seconds: float, args: argparse.Namespace) -> Sample:
    """Run wrk pinned to the client core; fail on any non-2xx answer."""
    command = ["taskset", "-c", args.client_cpu, "wrk", "-t1", f"-c{args.connections}",
               f"-d{seconds:g}s", "--latency", "-s", str(script), url]  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk saw errors against {url}:\n{output}")
    return parse_wrk(output)


UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def parse_wrk(output: str) -> Sample:
    """Requests/sec and the 50%/99% latency lines of ``wrk --latency`` output."""

    def percentile(label: str) -> float:
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)
        if found is None:
            raise ValueError(f"no {label}% line in wrk output:\n{output}")
        return float(found.group(1)) * UNIT_MS[found.group(2)]

    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if rps is None:
        raise ValueError(f"no Requests/sec line in wrk output:\n{output}")
    return Sample(float(rps.group(1)), percentile("50"), percentile("99"))


def median(samples: list[Sample]) -> Sample:
    """The median of each metric on its own."""
    return Sample(*(statistics.median(getattr(s, f) for s in samples)
                    for f in ("rps", "p50_ms", "p99_ms")))  # fmt: skip


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
    protocol: Protocol, servers: list[Server], script: Path, args: argparse.Namespace
) -> dict[str, Sample]:
    """Warm up, then alternate the servers for ``args.rounds``; the median Sample of each."""
    verify(protocol, servers)
    for server in servers:
        run_wrk(server.url + protocol.path, script, args.warmup, args)
    samples: dict[str, list[Sample]] = {server.name: [] for server in servers}
    for round_ in range(args.rounds):
        for server in servers if round_ % 2 == 0 else servers[::-1]:
            sample = run_wrk(server.url + protocol.path, script, args.duration, args)
            samples[server.name].append(sample)
            print(f"  {protocol.name:10} round {round_ + 1} {server.name:8} "
                  f"{sample.rps:9.0f} req/s  p50 {sample.p50_ms:.2f} ms  "
                  f"p99 {sample.p99_ms:.2f} ms", flush=True)  # fmt: skip
    return {name: median(found) for name, found in samples.items()}


# -- report ----------------------------------------------------------------------------------


HEADER = ("| protocol | baseline rps | tiffin rps | ratio | baseline p50/p99 ms "
          "| tiffin p50/p99 ms | p99 ratio | target |")  # fmt: skip


def table(results: dict[str, dict[str, Sample]]) -> str:
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


def record(results: dict[str, dict[str, Sample]], args: argparse.Namespace) -> None:
    """Append a dated section with the table, machine, command and targets to RESULTS.md."""
    python = os.path.relpath(sys.executable)
    command = shlex.join([sys.executable if python.startswith("..") else python, *sys.argv])
    section = (
        f"\n## {datetime.date.today().isoformat()}\n\n"
        f"- machine: {machine()}\n"
        f"- command: `{command}`\n"
        f"- setup: one worker on core {args.server_cpu}; `wrk -t1 -c{args.connections}` on core "
        f"{args.client_cpu}; {args.warmup:g} s warm-up, median of {args.rounds} x "
        f"{args.duration:g} s rounds\n"
        f"- targets: ratio >= {RPS_TARGET} for every JSON protocol, and tiffin p99 no worse "
        f"than the baseline's (p99 ratio <= 1.00)\n\n"
        f"{table(results)}\n"
    )
    if not RESULTS.exists():
        RESULTS.write_text("# Serving benchmark results\n\nAppended by `bench/serve.py`.\n")
    append_results(section)


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per round [10]")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per server [3]")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds [3]")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections [32]")
    parser.add_argument("--server-cpu", default="1", help="core for the servers [1]")
    parser.add_argument("--client-cpu", default="0", help="core for wrk [0]")
    parser.add_argument("--protocol", action="append", choices=[p.name for p in PROTOCOLS],
                        help="only these protocols (repeatable) [all]")  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 round of 2 s, 1 s warm-up; records nothing")  # fmt: skip
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.rounds, args.warmup, args.no_record = 2.0, 1, 1.0, True
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"error: {tool} not found (apt-get install -y wrk util-linux)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    protocols = [p for p in PROTOCOLS if not args.protocol or p.name in args.protocol]
    with tempfile.TemporaryDirectory(prefix="tiffin-bench-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        package = prepare_iris(workdir)
        baseline = Server(
            "baseline",
            [sys.executable, "-m", "uvicorn", "--app-dir", str(BENCH_DIR), "baseline_app:app",
             "--port", "{port}", "--workers", "1", "--loop", "uvloop", "--http", "httptools",
             "--no-access-log", "--log-level", "warning"],
            args.server_cpu, workdir / "baseline.log",
            BENCH_MODEL_PATH=str(package / "model" / "model.joblib"),
        )  # fmt: skip
        tiffin = Server(
            "tiffin",
            [sys.executable, "-m", "tiffin", "serve", str(package), "--port", "{port}",
             "--workers", "1"],
            args.server_cpu, workdir / "tiffin.log",
        )  # fmt: skip
        servers = [stack.enter_context(running(s, protocols[0])) for s in (baseline, tiffin)]
        results = {
            protocol.name: measure(protocol, servers, lua_script(protocol, workdir), args)
            for protocol in protocols
        }
    print("\n" + table(results))
    if not args.no_record:
        record(results, args)
        print(f"\nappended to {os.path.relpath(RESULTS)}")


if __name__ == "__main__":
    main()
