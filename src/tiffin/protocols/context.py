"""What protocol adapters may know about the running server besides the dataplane."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tiffin.server.metrics import Metrics


@dataclass
class ServerContext:
    """Server-wide facts the adapters need: limits, worker count, metrics, the OpenAPI doc."""

    workers: int = 1
    max_body_size: int = 16 * 1024 * 1024
    default_accept: str = "application/json"
    metrics: Metrics | None = None
    openapi: Callable[[], dict] = field(default=lambda: {})
