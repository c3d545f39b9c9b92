"""The Dask engine: a local cluster and a real scheduler + worker reached by address."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from batch_helpers import iris_rows, write_csv

from servers import free_port

pytest.importorskip("distributed", reason="the dask engine needs dask[distributed]")


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "inputs"
    (folder / "more").mkdir(parents=True)
    write_csv(folder / "a.csv", iris_rows(5_000, seed=1))
    write_csv(folder / "more" / "b.csv", iris_rows(3_000, seed=2))
    rows = iris_rows(500, seed=3).tolist()
    (folder / "c.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*.out"))}  # fmt: skip


def test_local_dask_cluster_writes_what_the_local_engine_writes(
    tiffin_batch, iris_package, iris_reference, inputs, tmp_path
):
    small = ["--chunk-size", "32KiB", "--recursive"]
    local = tiffin_batch(iris_package, "-i", inputs, "-o", tmp_path / "local", *small)
    assert local.returncode == 0, local.stderr
    dask = tiffin_batch(iris_package, "-i", inputs, "-o", tmp_path / "dask", *small,
                        "--engine", "dask", "--workers", "2", timeout=300)  # fmt: skip
    assert dask.returncode == 0, dask.stderr
    assert outputs(tmp_path / "dask") == outputs(tmp_path / "local")
    assert sorted(outputs(tmp_path / "dask")) == ["a.csv.out", "c.jsonl.out", "more/b.csv.out"]
    lines = (tmp_path / "dask" / "a.csv.out").read_text().splitlines()
    expected = iris_reference.predict(iris_rows(5_000, seed=1))
    np.testing.assert_array_equal([json.loads(line) for line in lines], expected)


@pytest.fixture
def dask_cluster(tmp_path: Path):
    """A real scheduler and worker, as separate processes, in their own directories."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler_dir, worker_dir = tmp_path / "scheduler", tmp_path / "worker"
    scheduler_dir.mkdir()
    worker_dir.mkdir()
    bindir = Path(sys.executable).parent
    processes = [subprocess.Popen(
        [str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--no-dashboard"], cwd=scheduler_dir,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )]  # fmt: skip
    time.sleep(1)
    processes.append(subprocess.Popen(
        [str(bindir / "dask"), "worker", address, "--nworkers", "2", "--nthreads", "1",
         "--no-dashboard", "--local-directory", str(worker_dir)], cwd=worker_dir,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    ))  # fmt: skip
    yield address, worker_dir
    for process in reversed(processes):
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_cluster_by_address_gets_the_package_shipped_to_its_workers(
    tiffin_batch, iris_package, inputs, tmp_path, dask_cluster
):
    address, worker_dir = dask_cluster
    package = tmp_path / "only-here" / "iris"  # a path the workers never see
    shutil.copytree(iris_package, package)
    local = tiffin_batch(package, "-i", inputs, "-o", tmp_path / "local", "--recursive")
    assert local.returncode == 0, local.stderr
    remote = tiffin_batch(package, "-i", inputs, "-o", tmp_path / "remote", "--recursive",
                          "--engine", "dask", "--address", address, timeout=300)  # fmt: skip
    assert remote.returncode == 0, remote.stderr
    assert outputs(tmp_path / "remote") == outputs(tmp_path / "local")
    assert list(worker_dir.rglob("tiffin-package-*/iris_model.py"))


def test_an_unreachable_scheduler_is_a_clear_error(tiffin_batch, iris_package, inputs, tmp_path):
    result = tiffin_batch(iris_package, "-i", inputs / "a.csv", "-o", tmp_path / "out",
                          "--engine", "dask", "--address", f"tcp://127.0.0.1:{free_port()}",
                          timeout=120)  # fmt: skip
    assert result.returncode != 0
    assert "cannot reach the Dask scheduler" in result.stderr
    assert "Traceback" not in result.stderr
