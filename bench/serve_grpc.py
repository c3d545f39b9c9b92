"""gRPC serving benchmark: tiffin's Open Inference Protocol over gRPC and over REST against a
minimal grpcio servicer, with h2load.

    .venv/bin/python bench/serve_grpc.py             # full run, appends to bench/RESULTS.md
    .venv/bin/python bench/serve_grpc.py --quick     # smoke run, records nothing

The cheap iris LogisticRegression (examples/iris), 1 and 1000 rows per request. The baseline is
grpc_baseline.py: a ``grpc.aio`` servicer on uvloop calling ``model.predict`` inline. tiffin
is one ``tiffin serve`` process (one worker) answering gRPC and REST at once; a second one
with the pure-asyncio worker (``uvicorn-h11``) shows what uvloop is worth to grpc.aio. Every
server is pinned to one core, h2load to another; rounds alternate the servers; tables report
medians and ratios to the baseline measured in the same run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import numpy as np
from common import (
    BENCH_DIR,
    RESULTS,
    append_results,
    free_port,
    load_parser,
    machine,
    parse_load_args,
    prepare_iris,
    prepare_run,
)
from h2load import Run, median_run, run_h2load
from wrk import Sample

from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2 as pb
from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2_grpc as pb_grpc

ROW = [5.1, 3.5, 1.4, 0.2]
GRPC_PATH = "/inference.GRPCInferenceService/ModelInfer"
GRPC_HEADERS = {"content-type": "application/grpc", "te": "trailers"}
REST_PATH = "/v2/models/iris/infer"
REST_HEADERS = {"content-type": "application/json"}


def features(rows: int) -> np.ndarray:
    """``rows`` iris rows of 4 FP64 features."""
    return np.tile(np.asarray(ROW, dtype="<f8"), (rows, 1))


def infer_request(raw: bool, rows: int) -> pb.ModelInferRequest:
    """``rows`` iris rows as FP64 features: raw_input_contents (as tritonclient sends them),
    or typed ``contents.fp64_contents``."""
    data = features(rows)
    request = pb.ModelInferRequest(model_name="iris")
    tensor = request.inputs.add(name="features", datatype="FP64", shape=list(data.shape))
    if raw:
        request.raw_input_contents.append(data.tobytes())
    else:
        tensor.contents.fp64_contents.extend(data.ravel().tolist())
    return request


def rest_body(rows: int) -> str:
    """The same rows as an Open Inference Protocol JSON request."""
    data = features(rows)
    tensor = {"name": "features", "shape": list(data.shape), "datatype": "FP64",
              "data": data.ravel().tolist()}  # fmt: skip
    return json.dumps({"inputs": [tensor]}, separators=(",", ":"))


def species(response: pb.ModelInferResponse) -> list[int]:
    """The prediction in a ModelInferResponse, raw or typed."""
    if response.raw_output_contents:
        return np.frombuffer(response.raw_output_contents[0], dtype="<i8").tolist()
    return list(response.outputs[0].contents.int64_contents)


# -- servers ---------------------------------------------------------------------------------


class Server:
    """A server process group pinned to one core, logging to a file, stopped as a unit."""

    def __init__(self, name: str, argv: list[str], cpu: str, log: Path, **env: str) -> None:
        self.name = name
        self.grpc_port = free_port()
        self.http_port = free_port()
        self.argv = [a.replace("{grpc}", str(self.grpc_port))
                     .replace("{http}", str(self.http_port)) for a in argv]  # fmt: skip
        self.cpu = cpu
        self.log = log
        self.env = {**os.environ, **env}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait until gRPC ServerReady answers true."""
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                ["taskset", "-c", self.cpu, *self.argv],
                stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        with grpc.insecure_channel(self.grpc_target) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited at startup:\n{self.log_tail()}")
                try:
                    if stub.ServerReady(pb.ServerReadyRequest(), timeout=1).ready:
                        return
                except grpc.RpcError:
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


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        server.start()
        yield server
    finally:
        server.stop()


def baseline_server(package: Path, args: argparse.Namespace) -> Server:
    return Server("baseline", [sys.executable, str(BENCH_DIR / "grpc_baseline.py"), "{grpc}"],
                  args.server_cpu, package.parent / "grpc-baseline.log",
                  BENCH_MODEL_PATH=str(package / "model" / "model.joblib"))  # fmt: skip


def tiffin_server(package: Path, args: argparse.Namespace, worker: str = "uvicorn") -> Server:
    name = "tiffin" if worker == "uvicorn" else "tiffin-asyncio"
    return Server(name, [sys.executable, "-m", "tiffin", "serve", str(package), "--port",
                         "{http}", "--grpc-port", "{grpc}", "--workers", "1",
                         "--worker-class", worker],
                  args.server_cpu, package.parent / f"{name}.log")  # fmt: skip


# -- what is measured ------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One server answering one kind of request: where h2load sends what, and the response
    body every answer must carry (a gRPC error would still be HTTP 200)."""

    label: str
    server: Server
    url: str
    body: Path
    headers: dict[str, str]
    h1: bool
    expected: bytes


def grpc_target(server: Server, raw: bool, rows: int, workdir: Path) -> Target:
    """``server``'s ModelInfer with ``rows`` rows, checked once with a Python client."""
    request = infer_request(raw, rows)
    with grpc.insecure_channel(server.grpc_target) as channel:
        response = pb_grpc.GRPCInferenceServiceStub(channel).ModelInfer(request, timeout=10)
    if bool(response.raw_output_contents) != raw:
        raise RuntimeError(f"{server.name} answered {'typed' if raw else 'raw'} contents")
    message = request.SerializeToString()
    body = workdir / f"grpc-{'raw' if raw else 'typed'}.bin"
    body.write_bytes(b"\x00" + struct.pack(">I", len(message)) + message)
    answer = response.SerializeToString()
    return Target(f"gRPC {'raw' if raw else 'typed'}", server,
                  f"http://{server.grpc_target}{GRPC_PATH}", body, GRPC_HEADERS, False,
                  b"\x00" + struct.pack(">I", len(answer)) + answer)  # fmt: skip


def rest_target(server: Server, rows: int, workdir: Path) -> Target:
    """``server``'s REST V2 infer with the same rows, as JSON."""
    url = f"http://127.0.0.1:{server.http_port}{REST_PATH}"
    body = workdir / "rest.json"
    body.write_text(rest_body(rows))
    answer = httpx.post(url, content=body.read_bytes(), headers=REST_HEADERS, timeout=10)
    answer.raise_for_status()
    return Target("REST JSON", server, url, body, REST_HEADERS, True, answer.content)


def prediction(target: Target) -> list[int]:
    """What ``target`` answered when it was checked."""
    if target.h1:
        return json.loads(target.expected)["outputs"][0]["data"]
    return species(pb.ModelInferResponse.FromString(target.expected[5:]))


def measure(target: Target, args: argparse.Namespace, workdir: Path) -> Run:
    """A warm-up run, then the measured one on ``target``; every answer of the measured run
    must be the expected body."""
    for seconds in (args.warmup, args.duration):
        run = run_h2load(target.url, target.body, target.headers, connections=args.connections,
                         seconds=seconds, client_cpu=args.client_cpu,
                         log=workdir / "h2load.log", h1=target.h1)  # fmt: skip
    per_answer = run.data_bytes / max(run.requests, 1)
    if abs(per_answer - len(target.expected)) > 0.05 * len(target.expected):
        raise RuntimeError(f"{target.server.name} {target.label}: {per_answer:.1f} response "
                           f"bytes a request, expected {len(target.expected)}")  # fmt: skip
    return run


Results = dict[tuple[str, str], Sample]
"""Median samples by (request label, server name)."""


def bench(targets: list[Target], args: argparse.Namespace, workdir: Path) -> Results:
    """Rounds over every target, the order flipping each round; medians."""
    answers = {repr(prediction(t)) for t in targets}
    if len(answers) != 1:
        raise RuntimeError(f"the servers disagree: {answers}")
    runs: dict[tuple[str, str], list[Run]] = {(t.label, t.server.name): [] for t in targets}
    for round_ in range(args.rounds):
        for target in targets if round_ % 2 == 0 else targets[::-1]:
            run = measure(target, args, workdir)
            runs[(target.label, target.server.name)].append(run)
            s = run.sample
            print(f"  round {round_ + 1} {target.label:10} {target.server.name:15} "
                  f"{s.rps:8.0f} req/s  p50 {s.p50_ms:.2f} ms  p99 {s.p99_ms:.2f} ms  "
                  f"max {s.max_ms:.2f} ms", flush=True)  # fmt: skip
    return {key: median_run(found) for key, found in runs.items()}


# -- report ----------------------------------------------------------------------------------


HEADER = ("| request | server | req/s | p50 ms | p99 ms | req/s ratio | p50 ratio | p99 ratio "
          "| against |")  # fmt: skip


def table(results: Results) -> str:
    """Each server and request against the baseline with the same request (REST: the
    baseline's gRPC raw)."""
    lines = [HEADER, "|" + "---|" * HEADER.count(" | ") + "---|"]
    for (label, name), sample in results.items():
        against = label if ("gRPC" in label) else "gRPC raw"
        base = results[(against, "baseline")]
        lines.append(
            f"| {label} | {name} | {sample.rps:,.0f} | {sample.p50_ms:.2f} | "
            f"{sample.p99_ms:.2f} | {sample.rps / base.rps:.2f} | "
            f"{sample.p50_ms / base.p50_ms:.2f} | {sample.p99_ms / base.p99_ms:.2f} | "
            f"baseline {against} |"
        )
    return "\n".join(lines)


def title(rows: int) -> str:
    return (f"**{rows} row{'s' if rows > 1 else ''}**: LogisticRegression (examples/iris), "
            f"FP64 features [{rows}, 4] per request; the minimal grpcio servicer (baseline) "
            "against `tiffin serve` over gRPC (raw and typed contents) and over REST "
            "(`POST /v2/models/iris/infer`, JSON)")  # fmt: skip


def record(text: str, args: argparse.Namespace, grpc_version: str) -> None:
    """Append a dated section with the table, machine and command to RESULTS.md."""
    python = os.path.relpath(sys.executable)
    command = shlex.join([sys.executable if python.startswith("..") else python, *sys.argv])
    section = (
        f"\n## {datetime.date.today().isoformat()}: gRPC serving\n\n"
        f"- machine: {machine()}\n"
        f"- command: `{command}`\n"
        f"- setup: every server one process on core {args.server_cpu} (grpcio {grpc_version});"
        f" `h2load -t1 -c{args.connections} -m1` on core {args.client_cpu}, {args.warmup:g} s "
        f"warm-up, median of {args.rounds} x {args.duration:g} s rounds\n\n"
        f"{text}\n"
    )
    append_results(section)


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = load_parser(__doc__, rounds=3, warmup=2, connections=32, client="h2load", quick=2.0)
    parser.add_argument("--rows", type=int, action="append",
                        help="rows per request, a table each (repeatable) [1, 1000]")  # fmt: skip
    parser.add_argument("--no-asyncio", action="store_true",
                        help="leave out tiffin on the pure-asyncio worker")  # fmt: skip
    args = parse_load_args(parser, argv)
    args.rows = args.rows or [1, 1000]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    prepare_run(("h2load", "taskset"), "nghttp2-client")
    with tempfile.TemporaryDirectory(prefix="tiffin-bench-grpc-") as tmp:
        workdir = Path(tmp)
        package = prepare_iris(workdir)
        makers: list[Callable[[], Server]] = [
            lambda: baseline_server(package, args), lambda: tiffin_server(package, args),
        ]  # fmt: skip
        if not args.no_asyncio:
            makers.append(lambda: tiffin_server(package, args, "uvicorn-h11"))
        tables = []
        with ExitStack() as stack:
            servers = [stack.enter_context(running(make())) for make in makers]
            baseline, tiffin = servers[:2]
            for rows in args.rows:
                print(f"{rows} row{'s' if rows > 1 else ''} per request", flush=True)
                targets = [grpc_target(s, True, rows, workdir) for s in servers]
                targets += [grpc_target(s, False, rows, workdir) for s in (baseline, tiffin)]
                targets.append(rest_target(tiffin, rows, workdir))
                results = bench(targets, args, workdir)
                tables.append(f"{title(rows)}\n\n{table(results)}")
    text = "\n\n".join(tables)
    print("\n" + text)
    if not args.no_record:
        record(text, args, grpc.__version__)
        print(f"\nappended to {os.path.relpath(RESULTS)}")


if __name__ == "__main__":
    main()
