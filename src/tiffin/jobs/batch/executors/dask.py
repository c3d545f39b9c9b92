"""The Dask engine: the same chunks on a Dask cluster, a local one or one named by address.

``--engine dask`` starts a ``LocalCluster`` of ``--workers`` processes; with
``--address tcp://scheduler:8786`` (or ``TIFFIN_DASK_ADDRESS``) it uses that
cluster instead. The package directory is zipped and sent to every worker (a
worker plugin unpacks it once, also on workers that join later), so workers
need tiffin and the package's requirements installed but no shared filesystem.
Each worker process loads the model once, on its first chunk. At most two
chunks per worker are in flight, so the driver's memory stays bounded.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

from tiffin.errors import BatchError
from tiffin.jobs.batch.executors import register_executor
from tiffin.jobs.batch.executors._shipping import Shipment, pack_package
from tiffin.jobs.batch.messages import Chunk, ChunkResult
from tiffin.jobs.batch.options import BatchOptions
from tiffin.jobs.batch.worker import BatchJob, process_chunk

__all__ = ["DaskExecutor"]

ADDRESS_VARIABLE = "TIFFIN_DASK_ADDRESS"
IN_FLIGHT_PER_WORKER = 2
_UNPACKED: dict[str, str] = {}
"""On a worker: job key -> where that job's package was unpacked."""


@register_executor("dask")
class DaskExecutor:
    """Runs chunks as Dask tasks, on a local cluster or on the one at ``address``."""

    def __init__(self, options: BatchOptions) -> None:
        self.workers = options.workers or 1
        self.address = options.address or os.environ.get(ADDRESS_VARIABLE) or None

    def run(self, job: BatchJob, chunks: Iterable[Chunk]) -> Generator[ChunkResult, None, None]:
        """Process every chunk on the cluster; yield each result as it finishes."""
        distributed = _import_distributed()
        cluster = None
        if self.address is None:
            cluster = distributed.LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=40,
            )  # fmt: skip
        client = _connect(distributed, self.address or cluster)
        try:
            plugin = package_upload_plugin(distributed, job.key, pack_package(job.package))
            client.register_plugin(plugin)
            yield from _stream(client, distributed, job, iter(chunks))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def _stream(client: Any, distributed: Any, job: BatchJob,
            chunks: Iterator[Chunk]) -> Iterator[ChunkResult]:  # fmt: skip
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    limit = workers * IN_FLIGHT_PER_WORKER
    running = distributed.as_completed()
    in_flight = []
    try:
        for chunk in chunks:
            future = client.submit(process_on_worker, job, chunk, pure=False)
            running.add(future)
            in_flight.append(future)
            if running.count() >= limit:
                yield _result(next(running))
        for future in running:
            yield _result(future)
    finally:
        client.cancel([f for f in in_flight if not f.done()])


def _result(future: Any) -> ChunkResult:
    try:
        return future.result()
    except Exception as exc:
        raise BatchError(
            f"a Dask worker failed: {type(exc).__name__}: {exc}",
            hint="rerun the same command to resume; check the workers' logs",
        ) from exc


def process_on_worker(job: BatchJob, chunk: Chunk) -> ChunkResult:
    """Process a chunk against the copy of the package unpacked on this worker."""
    local = _UNPACKED.get(job.key)
    if local is not None and local != job.package:
        job = dataclasses.replace(job, package=local)
    return process_chunk(job, chunk)


def unpack_on_worker(key: str, shipment: Shipment, worker: Any) -> str:
    """Unpack a package into the worker's local directory and remember where."""
    base = getattr(worker, "local_directory", None) or tempfile.gettempdir()
    target = shipment.unpack(Path(base) / f"tiffin-package-{key}")
    _UNPACKED[key] = str(target)
    return str(target)


def package_upload_plugin(distributed: Any, key: str, shipment: Shipment) -> Any:
    """A worker plugin that unpacks the package once on each worker, also late joiners."""
    from tiffin.jobs.batch.executors._dask_plugin import PackageUpload

    return PackageUpload(key, shipment)


CONNECT_TIMEOUT = 20


def _connect(distributed: Any, target: Any) -> Any:
    """A client of ``target`` (a cluster or an address); an unreachable address is a BatchError."""
    try:
        return distributed.Client(target, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise BatchError(
            f"cannot reach the Dask scheduler at {target}: {exc}",
            hint="check {=address} (e.g. tcp://host:8786) and that the scheduler is running",
        ) from None


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise BatchError("{=engine} dask needs Dask's distributed scheduler",
                         hint="pip install 'tiffin[dask]'") from exc  # fmt: skip
    return distributed
