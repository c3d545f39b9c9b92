"""Thin protocol adapters over the dataplane: each decodes, delegates and encodes."""

from __future__ import annotations

from tiffin.inference.repository import ModelRepository
from tiffin.protocols import (
    binary,
    feedback,
    kserve_v1,
    oip_v2,
    oip_v2_repository,
    operations,
    sagemaker,
    sagemaker_mme,
    simple,
)
from tiffin.protocols.context import ServerContext
from tiffin.protocols.http import Route

__all__ = ["ServerContext", "all_routes"]


def all_routes(models: ModelRepository, context: ServerContext) -> list[Route]:
    """Every route of every protocol, served by one process at once; SageMaker's
    multi-model routes when ``context.sagemaker_multi_model`` and ``models`` is a
    repository."""
    routes: list[Route] = []
    protocols = [sagemaker, kserve_v1, oip_v2, oip_v2_repository, binary, simple, feedback,
                 operations]  # fmt: skip
    if context.sagemaker_multi_model and models.single is None:
        protocols.append(sagemaker_mme)
    for protocol in protocols:
        routes.extend(protocol.routes(models, context))
    return routes
