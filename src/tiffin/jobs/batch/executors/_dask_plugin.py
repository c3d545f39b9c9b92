"""The Dask worker plugin of the dask engine; imported only when distributed is installed."""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from tiffin.jobs.batch.executors._shipping import Shipment
from tiffin.jobs.batch.executors.dask import unpack_on_worker


class PackageUpload(WorkerPlugin):
    """Unpacks a zipped package on every worker, once, before it runs a chunk."""

    def __init__(self, key: str, shipment: Shipment) -> None:
        self.key = key
        self.shipment = shipment
        self.name = f"tiffin-package-{key}"

    def setup(self, worker: Any) -> None:
        """Unpack into the worker's local directory."""
        unpack_on_worker(self.key, self.shipment, worker)
