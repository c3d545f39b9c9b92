"""Run h2load (nghttp2's load generator) and read its output: throughput, latency
percentiles, and how many response bytes came back.

Used by bench/serve_grpc.py for both gRPC (HTTP/2, one stream per connection) and REST
(``--h1``). h2load prints no percentiles, so each run writes a per-request log
(``--log-file``: start time, status, microseconds) and the percentiles come from it. A
gRPC error still answers HTTP 200 (the status is in the trailers), so the caller checks
the response bytes instead: every answered request must carry the expected body.
"""

from __future__ import annotations

import re
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

from wrk import Sample


@dataclass(frozen=True)
class Run:
    """One h2load measurement and what it moved."""

    sample: Sample
    requests: int
    data_bytes: int


def run_h2load(
    url: str,
    body: Path,
    headers: dict[str, str],
    *,
    connections: int,
    seconds: float,
    client_cpu: str,
    log: Path,
    h1: bool = False,
) -> Run:
    """POST ``body`` to ``url`` for ``seconds``, pinned to ``client_cpu``.

    No warm-up inside the run (h2load would count its response bytes but not its
    requests): the caller runs a short one first.
    """
    command = ["taskset", "-c", client_cpu, "h2load", "-t1", f"-c{connections}", "-m1",
               f"-D{seconds:g}", f"--data={body}", f"--log-file={log}"]  # fmt: skip
    if h1:
        command.append("--h1")
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    log.unlink(missing_ok=True)
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    return parse(output, log)


def parse(output: str, log: Path) -> Run:
    """The h2load summary and its per-request log as a :class:`Run`; fail on any error."""
    found = re.search(r"^requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, "
                      r"(\d+) failed, (\d+) errored, (\d+) timeout", output, re.M)  # fmt: skip
    rps = re.search(r"^finished in [\d.]+\w+, ([\d.]+) req/s", output, re.M)
    data = re.search(r"^traffic: .*, \S+ \((\d+)\) data$", output, re.M)
    codes = re.search(r"^status codes: \d+ 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", output, re.M)
    if not (found and rps and data and codes):
        raise RuntimeError(f"cannot read h2load's output:\n{output}")
    failed = sum(int(n) for n in found.group(4, 5, 6))
    if failed or any(int(n) for n in codes.groups()):
        raise RuntimeError(f"h2load saw failures:\n{output}")
    micros = sorted(int(line.split("\t")[2]) for line in log.read_text().splitlines() if line)
    if not micros:
        raise RuntimeError(f"h2load logged no request:\n{output}")
    sample = Sample(float(rps.group(1)), _rank(micros, 0.50) / 1e3, _rank(micros, 0.99) / 1e3,
                    micros[-1] / 1e3)  # fmt: skip
    return Run(sample, len(micros), int(data.group(1)))


def _rank(sorted_values: list[int], fraction: float) -> float:
    """The nearest-rank percentile of sorted values."""
    index = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return float(sorted_values[index])


def median_run(runs: list[Run]) -> Sample:
    """The median of each metric of several runs' samples, each on its own."""
    samples = [run.sample for run in runs]
    return Sample(*(statistics.median(getattr(s, f) for s in samples)
                    for f in ("rps", "p50_ms", "p99_ms", "max_ms")))  # fmt: skip
