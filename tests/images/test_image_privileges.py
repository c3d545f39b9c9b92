"""Dropping root in the entrypoint, checked in child processes (they really drop root).

Each case runs ``tiffin.privileges.prepare`` in a fresh interpreter started as root and
prints the ids it ended with, so the test process itself keeps its privileges.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="dropping root needs root")

NOBODY = "65534:65534"

PREPARE = """
import json, os, sys
from pathlib import Path
from tiffin.privileges import Need, prepare
needs = [Need(Path(p), write=w) for p, w in json.loads(sys.argv[1])]
env = prepare(needs, {"TIFFIN_RUN_AS": sys.argv[2], "HOME": "/root"})
print(json.dumps({"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
                  "groups": os.getgroups(), "home": env["HOME"]}))
"""


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A directory every user can reach (pytest's own is private to root)."""
    directory = Path(tempfile.mkdtemp(prefix="tiffin-privileges-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory)


def prepare_as(run_as: str, *needs: tuple[Path, bool]) -> tuple[dict, str]:
    done = subprocess.run(
        [sys.executable, "-c", PREPARE, json.dumps([(str(p), w) for p, w in needs]), run_as],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def root_owned(path: Path, mode: int) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, 0, 0)
    path.chmod(mode)
    return path


def test_drops_to_the_user_and_takes_over_only_what_it_must_write(tmp_path: Path) -> None:
    model = root_owned(tmp_path / "model", 0o755)
    readable = root_owned(tmp_path / "input", 0o755)
    (readable / "data.csv").write_text("1,2\n")
    ids, stderr = prepare_as(NOBODY, (model, True), (readable, False))
    assert (ids["uid"], ids["euid"], ids["gid"]) == (65534, 65534, 65534)
    assert ids["groups"] == [65534]
    assert model.stat().st_uid == 65534  # handed over: the job writes there
    assert readable.stat().st_uid == 0  # already readable: left as it was
    assert (readable / "data.csv").stat().st_uid == 0
    assert stderr == ""


def test_creates_a_missing_output_dir_for_the_user(tmp_path: Path) -> None:
    base = root_owned(tmp_path / "ml", 0o755)
    ids, _ = prepare_as(NOBODY, (base / "output" / "data", True))
    assert ids["uid"] == 65534
    assert (base / "output" / "data").is_dir()
    assert (base / "output" / "data").stat().st_uid == 65534
    assert (base / "output").stat().st_uid == 65534


def test_stays_root_and_says_why_when_a_directory_cannot_be_handed_over(tmp_path: Path) -> None:
    secret = root_owned(tmp_path / "secret", 0o700)
    # a file system that refuses chown stands behind a path we cannot chown: /proc
    ids, stderr = prepare_as(NOBODY, (secret, False), (Path("/proc/1"), True))
    assert ids["uid"] == 0
    assert "staying root for this run: /proc/1 is not writable" in stderr


def test_run_as_root_changes_nothing(tmp_path: Path) -> None:
    model = root_owned(tmp_path / "model", 0o700)
    ids, _ = prepare_as("root", (model, True))
    assert ids["uid"] == 0
    assert ids["home"] == "/root"
    assert model.stat().st_uid == 0


def test_a_named_user_gets_its_home(tmp_path: Path) -> None:
    ids, _ = prepare_as("nobody")
    assert ids["uid"] == 65534
    assert ids["home"] == "/nonexistent"


def test_stays_root_when_a_parent_is_closed_to_the_user(tmp_path: Path) -> None:
    closed = root_owned(tmp_path / "closed", 0o700)
    model = root_owned(closed / "model", 0o755)
    ids, stderr = prepare_as(NOBODY, (model, True))
    assert ids["uid"] == 0
    assert "a parent directory is closed to it" in stderr
