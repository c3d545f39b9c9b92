"""The cluster engines, Dask and Ray: the local pool's outputs, a cluster joined by address
with the package shipped to its workers, the model dir, and clear errors.

The error policies and resumption run on every engine too (test_batch_errors.py,
test_batch_resume.py, through the ``engine`` fixture).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from batch_helpers import FIXTURES, Engine, iris_rows, write_csv

from servers import free_port
from tiffin.errors import BatchError
from tiffin.jobs.batch import run_batch

WHERE = FIXTURES / "where"
UNREACHABLE = {
    "dask": ("tcp://127.0.0.1:{port}", "cannot reach the Dask scheduler at"),
    "ray": ("ray://127.0.0.1:{port}", "cannot reach the Ray cluster at"),
}
SHIPPED_INTO = {"dask": "tiffin-package-", "ray": "tiffin-ray-"}


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "inputs"
    (folder / "more").mkdir(parents=True)
    write_csv(folder / "a.csv", iris_rows(5_000, seed=1))
    write_csv(folder / "more" / "b.csv", iris_rows(3_000, seed=2))
    rows = iris_rows(500, seed=3).tolist()
    (folder / "c.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


@pytest.fixture
def ray_temp() -> Iterator[Path]:
    """A short temp dir for a Ray started by a `tiffin batch` (Ray's socket paths are short)."""
    folder = Path(tempfile.mkdtemp(prefix="tiffin-ray-cli-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*.out"))}  # fmt: skip


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_an_engine_started_here_writes_what_the_local_engine_writes(
    cluster_engine, tiffin_batch, iris_package, iris_reference, inputs, tmp_path, ray_temp
):
    """Dask's LocalCluster and a Ray started in the `tiffin batch` process."""
    small = ["--chunk-size", "32KiB", "--recursive"]
    local = tiffin_batch(iris_package, "-i", inputs, "-o", tmp_path / "local", *small)
    assert local.returncode == 0, local.stderr
    started = tiffin_batch(iris_package, "-i", inputs, "-o", tmp_path / "engine", *small,
                           "--engine", cluster_engine.name, "--workers", "2", timeout=300,
                           env={"RAY_TMPDIR": str(ray_temp)})  # fmt: skip
    assert started.returncode == 0, started.stderr
    assert outputs(tmp_path / "engine") == outputs(tmp_path / "local")
    assert sorted(outputs(tmp_path / "engine")) == ["a.csv.out", "c.jsonl.out", "more/b.csv.out"]
    lines = (tmp_path / "engine" / "a.csv.out").read_text().splitlines()
    expected = iris_reference.predict(iris_rows(5_000, seed=1))
    np.testing.assert_array_equal([json.loads(line) for line in lines], expected)
    assert started.stderr.strip().startswith("scored 8,500 of 8,500 records"), started.stderr


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
    yield address
    for process in reversed(processes):
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def cluster_address(cluster_engine: Engine, request: pytest.FixtureRequest) -> str:
    """The address of a running cluster: a Dask scheduler and worker, or the session's Ray."""
    if cluster_engine.name == "dask":
        return request.getfixturevalue("dask_cluster")
    assert cluster_engine.address is not None
    return cluster_engine.address


def test_a_cluster_by_address_runs_a_copy_of_the_package_shipped_to_its_workers(
    cluster_engine, cluster_address, tiffin_batch, iris_package, inputs, tmp_path
):
    package = tmp_path / "only-here" / "where"  # its workers run their own copy of it
    shutil.copytree(WHERE, package)
    joined = ["--engine", cluster_engine.name, "--address", cluster_address]
    remote = tiffin_batch(package, "-i", inputs / "a.csv", "-o", tmp_path / "where", *joined,
                          "--chunk-size", "16KiB", timeout=300)  # fmt: skip
    assert remote.returncode == 0, remote.stderr
    places = {answer["code"] for answer in read_jsonl(tmp_path / "where" / "a.csv.out")}
    assert str(package.resolve()) not in places
    assert all(SHIPPED_INTO[cluster_engine.name] in place for place in places), places


def test_the_drivers_model_dir_reaches_the_workers(cluster_engine, tmp_path, monkeypatch):
    """A MODEL_DIR set on the driver (as --model-uri does) after the cluster started."""
    fetched = tmp_path / "fetched"
    fetched.mkdir()
    (fetched / "weights.txt").write_text("fetched weights")
    monkeypatch.setenv("MODEL_DIR", str(fetched))
    source = write_csv(tmp_path / "in.csv", iris_rows(600))
    run_batch(WHERE, source, tmp_path / "out", progress=False, chunk_size="4KiB",
              **cluster_engine.options())  # fmt: skip
    answers = read_jsonl(tmp_path / "out" / "in.csv.out")
    assert len(answers) == 600
    assert {Path(a["model_dir"]).resolve() for a in answers} == {fetched.resolve()}
    assert {a["weights"] for a in answers} == {"fetched weights"}


def test_a_model_dir_missing_on_a_ray_node_is_unpacked_from_the_drivers_copy(ray_address, tmp_path):
    import ray

    from tiffin.jobs.batch.executors._ray_worker import ModelDir, listing
    from tiffin.jobs.batch.executors._shipping import pack_dir

    source = tmp_path / "driver-model"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "weights.bin").write_bytes(b"\x00" * 1000)
    copy = [ray.put(pack_dir(source))]
    here = ModelDir(str(source), listing(source), copy)
    assert here.locate(tmp_path / "unused") == str(source)  # the same files: used in place
    elsewhere = ModelDir(str(tmp_path / "not-on-this-node"), listing(source), copy)
    unpacked = Path(elsewhere.locate(tmp_path / "unpacked"))
    assert (unpacked / "sub" / "weights.bin").read_bytes() == b"\x00" * 1000
    (source / "sub" / "weights.bin").write_bytes(b"other")  # a different dir at that path
    assert here.locate(tmp_path / "again") == str(tmp_path / "again")


def test_an_unreachable_cluster_is_a_clear_error(cluster_engine, tiffin_batch, iris_package,
                                                 inputs, tmp_path):  # fmt: skip
    address, message = UNREACHABLE[cluster_engine.name]
    address = address.format(port=free_port())
    started = time.monotonic()
    result = tiffin_batch(iris_package, "-i", inputs / "a.csv", "-o", tmp_path / "out",
                          "--engine", cluster_engine.name, "--address", address,
                          timeout=120)  # fmt: skip
    assert result.returncode == 5, result.stderr
    assert f"error: {message} {address}" in result.stderr
    assert "hint: check --address" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("name", ["dask", "ray"])
def test_an_engine_that_is_not_installed_names_its_extra(name, tmp_path, monkeypatch):
    from batch_helpers import ENGINE_MODULES, PROBE

    monkeypatch.setitem(sys.modules, ENGINE_MODULES[name], None)  # as if not installed
    source = write_csv(tmp_path / "in.csv", iris_rows(5))
    with pytest.raises(BatchError, match=f"engine {name} needs") as caught:
        run_batch(PROBE, source, tmp_path / "out", engine=name, progress=False)
    assert caught.value.hint == f"pip install 'tiffin[{name}]'"
