"""Thin protocol adapters over the dataplane: each decodes, delegates and encodes."""

from __future__ import annotations

from tiffin.inference.dataplane import DataPlane
from tiffin.protocols import (
    binary,
    feedback,
    kserve_v1,
    oip_v2,
    operations,
    sagemaker,
    simple,
)
from tiffin.protocols.context import ServerContext
from tiffin.protocols.http import Route

__all__ = ["ServerContext", "all_routes"]


def all_routes(dataplane: DataPlane, context: ServerContext) -> list[Route]:
    """Every route of every protocol, served by one process at once."""
    routes: list[Route] = []
    for protocol in (sagemaker, kserve_v1, oip_v2, binary, simple, feedback, operations):
        routes.extend(protocol.routes(dataplane, context))
    return routes
