"""Resumption: a job killed (SIGKILL) or interrupted (Ctrl-C) mid-way finishes on rerun,
with outputs byte-identical to one clean run's: no record lost or written twice. On every
engine: the local pool, a Dask LocalCluster and a Ray, each started by the killed job."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from batch_helpers import FIXTURES, Engine, iris_rows, write_csv

from servers import TIFFIN

SLOW = FIXTURES / "slow"
ROWS = 20_000
MARKER = "TIFFIN_TEST_RUN"
RAY_AGENTS = ("ray::DashboardAgent", "ray::RuntimeEnvAgent")


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """Two CSV inputs of ~80 chunks each, so a run takes a few seconds with the slow model."""
    folder = tmp_path / "in"
    folder.mkdir()
    write_csv(folder / "a.csv", iris_rows(ROWS, seed=1))
    write_csv(folder / "b.csv", iris_rows(ROWS // 2, seed=2))
    return folder


@pytest.fixture
def started(engine: Engine) -> Iterator[tuple[list[str], dict[str, str]]]:
    """Flags that make `tiffin batch` start the engine itself, and an environment that
    marks every process it starts (to find strays) and gives Ray a short temp dir."""
    temp = tempfile.mkdtemp(prefix="tiffin-ray-cli-")
    env = {**os.environ, MARKER: uuid.uuid4().hex, "RAY_TMPDIR": temp}
    yield ["--engine", engine.name, "--workers", "2"], env
    shutil.rmtree(temp, ignore_errors=True)


def command(inputs: Path, output: Path, *extra: str) -> list[str]:
    return [*TIFFIN, "batch", str(SLOW), "-i", str(inputs), "-o", str(output),
            "--chunk-size", "4KiB", *extra]  # fmt: skip


def start_and_stop_midway(argv: list[str], output: Path, stop: signal.Signals,
                          env: dict[str, str]) -> tuple[int, list[str]]:  # fmt: skip
    """Start a run, send ``stop`` once at least 20 parts are committed; return its status
    and the processes it had started by then (itself included)."""
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    parts = output / ".tiffin-batch" / "parts"
    deadline = time.monotonic() + 60
    while len(list(parts.glob("*/*.part"))) < 20:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "the job made no progress"
        time.sleep(0.02)
    running = stray_processes(env)
    process.send_signal(stop)
    status = process.wait(timeout=30)
    assert not (output / "a.csv.out").exists() or not (output / "b.csv.out").exists()
    return status, running


def outputs_of(output: Path) -> dict[str, bytes]:
    return {name: (output / name).read_bytes() for name in ("a.csv.out", "b.csv.out")}


def stray_processes(env: dict[str, str]) -> list[str]:
    """Processes started with the marker of ``env`` (workers, or an engine, left behind).

    Ray's per-node agents are not counted: once their raylet is gone they try to report
    its death to the (dead) GCS for up to a minute, then exit on their own.
    """
    marker = f"{MARKER}={env[MARKER]}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append((entry / "cmdline").read_bytes().decode(errors="replace"))
            except OSError:
                continue
    return [command for command in found if not command.startswith(RAY_AGENTS)]


def check_records(outputs: dict[str, bytes], inputs: Path) -> None:
    """Every input row has exactly one output line, in order, holding its sum."""
    for name, body in outputs.items():
        rows = np.loadtxt(inputs / name.removesuffix(".out"), delimiter=",")
        values = [json.loads(line) for line in body.splitlines()]
        assert values == rows.sum(axis=1).round(6).tolist()


def test_sigkill_then_rerun_equals_a_clean_run(inputs, tmp_path, started):
    flags, env = started
    clean = subprocess.run(command(inputs, tmp_path / "clean"), capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
    output = tmp_path / "killed"
    argv = command(inputs, output, *flags)
    status, running = start_and_stop_midway(argv, output, signal.SIGKILL, env)
    assert status == -signal.SIGKILL
    assert len(running) >= 3, running  # the job, its two workers (and its engine's processes)
    deadline = time.monotonic() + 15
    while stray_processes(env) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stray_processes(env) == []  # the workers (and the engine) died with their parent
    resumed = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "were done by an earlier run" in resumed.stderr
    assert outputs_of(output) == outputs_of(tmp_path / "clean")
    check_records(outputs_of(output), inputs)
    assert not list((output / ".tiffin-batch").glob("parts/*/*"))


def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(inputs, tmp_path, started):
    flags, env = started
    output = tmp_path / "out"
    argv = command(inputs, output, *flags[:2])  # one worker: the local engine runs inline
    status, _ = start_and_stop_midway(argv, output, signal.SIGINT, env)
    assert status == 130
    resumed = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    check_records(outputs_of(output), inputs)
