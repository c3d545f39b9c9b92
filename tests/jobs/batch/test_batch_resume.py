"""Resumption: a job killed (SIGKILL) or interrupted (Ctrl-C) mid-way finishes on rerun,
with outputs byte-identical to one clean run's: no record lost or written twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from batch_helpers import FIXTURES, iris_rows, write_csv

from servers import TIFFIN

SLOW = FIXTURES / "slow"
ROWS = 20_000


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """Two CSV inputs of ~80 chunks each, so a run takes a few seconds with the slow model."""
    folder = tmp_path / "in"
    folder.mkdir()
    write_csv(folder / "a.csv", iris_rows(ROWS, seed=1))
    write_csv(folder / "b.csv", iris_rows(ROWS // 2, seed=2))
    return folder


def command(inputs: Path, output: Path, *extra: str) -> list[str]:
    return [*TIFFIN, "batch", str(SLOW), "-i", str(inputs), "-o", str(output),
            "--chunk-size", "4KiB", *extra]  # fmt: skip


def start_and_stop_midway(argv: list[str], output: Path, stop: signal.Signals) -> int:
    """Start a run, send ``stop`` once at least 20 parts are committed; return its status."""
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    parts = output / ".tiffin-batch" / "parts"
    deadline = time.monotonic() + 60
    while len(list(parts.glob("*/*.part"))) < 20:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "the job made no progress"
        time.sleep(0.02)
    process.send_signal(stop)
    status = process.wait(timeout=30)
    assert not (output / "a.csv.out").exists() or not (output / "b.csv.out").exists()
    return status


def outputs_of(output: Path) -> dict[str, bytes]:
    return {name: (output / name).read_bytes() for name in ("a.csv.out", "b.csv.out")}


def stray_processes(marker: str) -> list[int]:
    """Processes whose command line mentions ``marker`` (workers left behind)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def check_records(outputs: dict[str, bytes], inputs: Path) -> None:
    """Every input row has exactly one output line, in order, holding its sum."""
    for name, body in outputs.items():
        rows = np.loadtxt(inputs / name.removesuffix(".out"), delimiter=",")
        values = [json.loads(line) for line in body.splitlines()]
        assert values == rows.sum(axis=1).round(6).tolist()


def test_sigkill_then_rerun_equals_a_clean_run(inputs, tmp_path):
    clean = subprocess.run(command(inputs, tmp_path / "clean"), capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
    output = tmp_path / "killed"
    argv = command(inputs, output, "--workers", "2")
    assert start_and_stop_midway(argv, output, signal.SIGKILL) == -signal.SIGKILL
    time.sleep(0.5)
    assert stray_processes(str(output)) == []  # the workers died with their parent
    resumed = subprocess.run(argv, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "were done by an earlier run" in resumed.stderr
    assert outputs_of(output) == outputs_of(tmp_path / "clean")
    check_records(outputs_of(output), inputs)
    assert not list((output / ".tiffin-batch").glob("parts/*/*"))


def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(inputs, tmp_path):
    output = tmp_path / "out"
    argv = command(inputs, output)
    status = start_and_stop_midway(argv, output, signal.SIGINT)
    assert status == 130
    resumed = subprocess.run(argv, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    check_records(outputs_of(output), inputs)
