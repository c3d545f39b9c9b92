"""The actor of the ray engine: a worker process with its own copy of the package.

It is a plain class, made a Ray actor by the engine (``ray.remote(ChunkWorker)``), so
this module imports without Ray. Each actor unpacks the shipped package into a
directory of its own, points ``MODEL_DIR`` where the driver's model dir is on its
node, loads the model on its first chunk, and removes its directory when closed.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tiffin.jobs.batch.executors._shipping import Shipment
from tiffin.jobs.batch.messages import Chunk, ChunkResult
from tiffin.jobs.batch.worker import BatchJob, process_chunk

__all__ = ["ChunkWorker", "ModelDir", "listing", "scratch_dir"]


@dataclass(frozen=True)
class ModelDir:
    """The driver's ``MODEL_DIR``: its path, its files' names and sizes, and maybe a copy.

    ``copy`` holds the reference of a zipped copy in Ray's object store, inside a list
    so that Ray hands it over unresolved: an actor fetches it only when the path is
    missing or different on its node (a remote cluster), never on the driver's machine.
    """

    path: str
    files: tuple[tuple[str, int], ...]
    copy: list[Any] | None = None

    def locate(self, scratch: Path) -> str:
        """The path of this model dir on this node: the driver's, else an unpacked copy."""
        here = Path(self.path)
        if self.copy is None or (here.is_dir() and listing(here) == self.files):
            return self.path
        import ray

        shipment: Shipment = ray.get(self.copy[0])
        return str(shipment.unpack(scratch))


def listing(root: Path) -> tuple[tuple[str, int], ...]:
    """The files under ``root`` with their sizes, to tell two copies of a dir apart."""
    files = sorted(path for path in root.rglob("*") if path.is_file())
    return tuple((path.relative_to(root).as_posix(), path.stat().st_size) for path in files)


def scratch_dir() -> Path:
    """A new directory of this process under ``$TMPDIR/tiffin-ray-<uid>``.

    Those left by processes that are gone (a killed job) are removed first, as Dask
    purges its stale worker directories.
    """
    base = Path(tempfile.gettempdir()) / f"tiffin-ray-{os.getuid()}"
    base.mkdir(exist_ok=True)
    for old in base.iterdir():
        owner = old.name.partition("-")[0]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=base))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ChunkWorker:
    """Processes chunks of one job with the package unpacked here and the model loaded once."""

    def __init__(self, job: BatchJob, package: Shipment, model_dir: ModelDir | None) -> None:
        self.home = scratch_dir()
        self.job = dataclasses.replace(job, package=str(package.unpack(self.home / "package")))
        if model_dir is not None:
            os.environ["MODEL_DIR"] = model_dir.locate(self.home / "model")

    def process(self, chunk: Chunk) -> ChunkResult:
        """Score one chunk (a failing one comes back as data, see ``process_chunk``)."""
        return process_chunk(self.job, chunk)

    def close(self) -> None:
        """Remove this worker's copy of the package."""
        shutil.rmtree(self.home, ignore_errors=True)
