"""Run wrk and read its output: throughput, latency percentiles, and slow requests.

Used by bench/serve.py; wrk runs pinned to one core with one thread.
"""

from __future__ import annotations

import re
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

SLOW_SECONDS = 30
"""A script made with ``count_slow`` counts the requests that took longer than this; wrk's
``--timeout`` must be longer still, as its latency histogram stops there."""


@dataclass(frozen=True)
class Sample:
    """One wrk measurement: throughput, latency in milliseconds, and the slow requests."""

    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    slow: int | None = None
    """Requests over :data:`SLOW_SECONDS` (counted by the long run's script only)."""


def lua_script(name: str, body: str, directory: Path, count_slow: bool = False) -> Path:
    """Write the wrk script that POSTs ``body`` as JSON; return its path.

    With ``count_slow``, the script also prints how many requests took longer than
    :data:`SLOW_SECONDS` (see :data:`SLOW_COUNTER`).
    """
    path = directory / f"{name}{'-slow' if count_slow else ''}.lua"
    script = (
        f'wrk.method = "POST"\n'
        f"wrk.body = [=[{body}]=]\n"
        f'wrk.headers["Content-Type"] = "application/json"\n'
    )
    if count_slow:
        script += SLOW_COUNTER.replace("LIMIT_US", str(SLOW_SECONDS * 1_000_000))
    path.write_text(script)
    return path


SLOW_COUNTER = """
done = function(summary, latency, requests)
  local n = summary.requests
  local function at(rank) return latency:percentile((rank - 0.5) * 100 / n) end
  local fast, above = 0, n
  while fast < above do
    local mid = math.ceil((fast + above) / 2)
    if at(mid) <= LIMIT_US then fast = mid else above = mid - 1 end
  end
  io.write(string.format("slow requests: %d\\n", n - fast))
end
"""
"""wrk's ``done`` hook printing how many requests took longer than LIMIT_US microseconds.

wrk's Lua API gives percentiles of its latency histogram, not counts: ``at(rank)`` is the
latency of the request of that rank (``percentile`` rounds ``p / 100 * n + 0.5``), and a
binary search finds the last rank within the limit. Every answered request is in the
histogram as long as wrk's ``--timeout`` is longer than the run.
"""


@dataclass(frozen=True)
class Load:
    """How wrk loads each server: connections, seconds per round, wrk's per-request timeout,
    rounds, the warm-up run right before each round, and whether to count slow requests."""

    connections: int
    seconds: float
    timeout: float
    rounds: int = 1
    warmup: float = 0.0
    count_slow: bool = False


def run_wrk(url: str, script: Path, load: Load, client_cpu: str) -> Sample:
    """Run wrk pinned to ``client_cpu``; fail on any non-2xx answer or socket error."""
    command = ["taskset", "-c", client_cpu, "wrk", "-t1", f"-c{load.connections}",
               f"-d{load.seconds:g}s", f"--timeout={load.timeout:g}s", "--latency",
               "-s", str(script), url]  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk saw errors against {url}:\n{output}")
    return parse_wrk(output)


UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
DURATION = r"([\d.]+)(us|ms|s|m|h)"


def parse_wrk(output: str) -> Sample:
    """Requests/sec, the 50%/99% and max latency of ``wrk --latency`` output, and the slow
    requests when the script counted them."""

    def duration_ms(pattern: str) -> float:
        found = re.search(pattern, output, re.MULTILINE)
        if found is None:
            raise ValueError(f"no match for {pattern!r} in wrk output:\n{output}")
        return float(found.group(1)) * UNIT_MS[found.group(2)]

    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if rps is None:
        raise ValueError(f"no Requests/sec line in wrk output:\n{output}")
    slow = re.search(r"^slow requests: (\d+)$", output, re.MULTILINE)
    return Sample(
        float(rps.group(1)),
        duration_ms(rf"^[ \t]*50%[ \t]+{DURATION}[ \t]*$"),
        duration_ms(rf"^[ \t]*99%[ \t]+{DURATION}[ \t]*$"),
        duration_ms(rf"^[ \t]*Latency[ \t]+\S+[ \t]+\S+[ \t]+{DURATION}"),
        int(slow.group(1)) if slow else None,
    )


def median(samples: list[Sample]) -> Sample:
    """The median of each metric on its own."""
    values = [statistics.median(getattr(s, f) for s in samples)
              for f in ("rps", "p50_ms", "p99_ms", "max_ms")]  # fmt: skip
    slow = [s.slow for s in samples if s.slow is not None]
    return Sample(*values, slow=int(statistics.median(slow)) if slow else None)
