"""Image benchmark: size, cold build, rebuilds after a code or weights change, run to /ping.

    .venv/bin/python bench/images.py              # full run (~2 min), appends to bench/RESULTS.md
    .venv/bin/python bench/images.py --no-record  # the same, records nothing

Builds the iris example (examples/iris, trained by its train.py) hermetically with
podman on $BASE_IMAGE (default localhost/debian-python:3.11). See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from common import RESULTS, append_results, free_port, machine, prepare_iris

from tiffin.build.builder import build_image

REBUILD_TARGET = 0.10
"""A rebuild after changing only the model code takes at most this fraction of a cold build."""


@dataclass
class Results:
    """Every measurement of one run."""

    engine: str
    base_image: str
    base_size: int = 0
    image_size: int = 0
    cold: float = 0.0
    code_rebuilds: list[float] | None = None
    weights_rebuilds: list[float] | None = None
    to_ping: list[float] | None = None


def podman(*args: str) -> str:
    done = subprocess.run(["podman", *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def image_size(image: str) -> int:
    return int(podman("image", "inspect", "--format", "{{.Size}}", image))


def timed_build(package: Path, tag: str, args: argparse.Namespace, *, cold: bool = False) -> float:
    built = build_image(
        package,
        tag=tag,
        engine=args.engine,
        hermetic=True,
        base_image=args.base_image,
        no_cache=cold,
        stream=io.StringIO(),
    )
    return built.seconds


def rebuilds(
    package: Path, tag: str, args: argparse.Namespace, change: Callable[[int], None]
) -> list[float]:
    """Seconds of each rebuild after ``change(round)`` edits the package."""
    times = []
    for round_ in range(args.rounds):
        change(round_)
        times.append(timed_build(package, tag, args))
    return times


def run_to_ping(tag: str, rounds: int) -> list[float]:
    """Seconds from `podman run` to the first 200 from /ping, per round."""
    times = []
    for _ in range(rounds):
        port = free_port()
        name = f"tiffin-bench-{uuid.uuid4().hex[:8]}"
        started = time.monotonic()
        podman(
            "run", "--detach", "--rm", "--name", name, "--publish", f"127.0.0.1:{port}:8080", tag
        )
        try:
            times.append(wait_for_ping(f"http://127.0.0.1:{port}", started))
        finally:
            subprocess.run(["podman", "rm", "--force", name], capture_output=True)
    return times


def wait_for_ping(url: str, started: float, timeout: float = 120) -> float:
    while time.monotonic() - started < timeout:
        try:
            if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url}/ping did not answer 200 within {timeout}s")


def measure(args: argparse.Namespace, workdir: Path) -> Results:
    package = prepare_iris(workdir)
    tag = f"localhost/tiffin-bench-iris:{uuid.uuid4().hex[:8]}"
    results = Results(args.engine, args.base_image, base_size=image_size(args.base_image))
    os.environ["TIFFIN_CACHE_DIR"] = str(workdir / "cache")  # cold: no wheel cache either
    before = set(image_names())
    try:
        print("cold build (no layer cache, no wheel cache)...", flush=True)
        results.cold = timed_build(package, tag, args, cold=True)
        results.image_size = image_size(tag)
        code = package / "iris_model.py"
        original = code.read_text()
        print("rebuilds after changing the model code...", flush=True)
        results.code_rebuilds = rebuilds(
            package, tag, args, lambda n: code.write_text(original + f"# edit {n}\n")
        )
        print("rebuilds after retraining the weights...", flush=True)
        results.weights_rebuilds = rebuilds(package, tag, args, lambda n: retrain(package, n))
        print("run to /ping 200...", flush=True)
        results.to_ping = run_to_ping(tag, args.rounds)
    finally:
        subprocess.run(["podman", "rmi", "--force", tag], capture_output=True)
        remove_leftovers(before)
    return results


def image_names() -> dict[str, set[str]]:
    """Every local image (intermediate ones too) and its ``repository:tag`` names."""
    listing = podman(
        "images", "--all", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"
    )
    names: dict[str, set[str]] = {}
    for line in listing.splitlines():
        image, _, name = line.partition(" ")
        names.setdefault(image, set()).add(name)
    return names


def remove_leftovers(before: set[str]) -> None:
    """Remove the dependencies images and build cache this run made, so runs do not pile up."""
    for _ in range(4):
        left = sorted(
            image
            for image, names in image_names().items()
            if image not in before
            and all(n == "<none>:<none>" or n.rpartition(":")[0].endswith("-deps") for n in names)
        )
        if not left:
            return
        subprocess.run(["podman", "rmi", *left], capture_output=True)


def retrain(package: Path, round_: int) -> None:
    """New weights: the same model refitted with another regularisation strength."""
    script = (
        "import joblib; from sklearn.datasets import load_iris; "
        "from sklearn.linear_model import LogisticRegression as L; X, y = load_iris("
        f"return_X_y=True); joblib.dump(L(C={1 + round_}, max_iter=1000).fit(X, y), "
        "'model/model.joblib')"
    )
    subprocess.run([sys.executable, "-c", script], cwd=package, check=True)


def table(results: Results) -> str:
    cold = results.cold
    code = statistics.median(results.code_rebuilds or [0])
    weights = statistics.median(results.weights_rebuilds or [0])
    ping = statistics.median(results.to_ping or [0])
    met = "met" if code <= REBUILD_TARGET * cold else "NOT met"
    added = results.image_size - results.base_size
    return "\n".join(
        [
            "| measure | value | target |",
            "|---|---|---|",
            f"| image size | {mb(results.image_size)} (base image {mb(results.base_size)}, "
            f"+{mb(added)}) | |",
            f"| cold build (no layer or wheel cache) | {cold:.1f} s | |",
            f"| rebuild after changing only the model code | {code:.1f} s ({code / cold:.0%} of "
            f"cold) | <= {REBUILD_TARGET:.0%} of cold: {met} |",
            f"| rebuild after retraining the weights | {weights:.1f} s ({weights / cold:.0%} of "
            "cold) | |",
            f"| `podman run` to /ping 200 | {ping:.2f} s | |",
        ]
    )


def mb(size: int) -> str:
    return f"{size / 1e6:.0f} MB"


def record(results: Results, args: argparse.Namespace) -> None:
    """Append a dated section (machine, command, engine, table) to RESULTS.md."""
    python = os.path.relpath(sys.executable)
    command = shlex.join([sys.executable if python.startswith("..") else python, *sys.argv])
    version = podman("version", "--format", "{{.Client.Version}}")
    section = (
        f"\n## {datetime.date.today().isoformat()}: images\n\n"
        f"- machine: {machine()}\n"
        f"- command: `{command}`\n"
        f"- setup: examples/iris built hermetically with {results.engine} {version} on "
        f"{results.base_image}; medians of {args.rounds} rounds; the cold build starts "
        "without layer or wheel cache (pip's own HTTP cache stays warm)\n"
        f"- rounds: code rebuilds {fmt(results.code_rebuilds)} s, weights rebuilds "
        f"{fmt(results.weights_rebuilds)} s, run to /ping {fmt(results.to_ping)} s\n\n"
        f"{table(results)}\n"
    )
    append_results(section)


def fmt(values: list[float] | None) -> str:
    return ", ".join(f"{value:.2f}" for value in values or [])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", default="podman", help="only podman is measured [podman]")
    parser.add_argument(
        "--base-image",
        default=os.environ.get("BASE_IMAGE", "localhost/debian-python:3.11"),
        help="base image [$BASE_IMAGE, else localhost/debian-python:3.11]",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each rebuild [3]")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if shutil.which("podman") is None:
        sys.exit("bench/images.py needs podman (bash scripts/provision-containers.sh)")
    with tempfile.TemporaryDirectory(prefix="tiffin-bench-images-") as tmp:
        results = measure(args, Path(tmp))
    print()
    print(table(results))
    print(
        json.dumps(
            {
                "cold": results.cold,
                "code": results.code_rebuilds,
                "weights": results.weights_rebuilds,
                "ping": results.to_ping,
            }
        )
    )
    if not args.no_record:
        record(results, args)
        print(f"\nappended to {os.path.relpath(RESULTS)}")


if __name__ == "__main__":
    main()
