"""What protocol adapters may know about the running server besides the dataplane."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tiffin.protocols.http import Handler

MetricsRenderer = Callable[[], tuple[bytes, str]]
"""Renders the server's metrics: the body and its content type."""


@dataclass
class ServerContext:
    """Server-wide facts the adapters need: limits, worker count, metrics, the OpenAPI doc.

    The server hands in callables (``render_metrics``, ``openapi``) rather than its own
    objects, so the protocols never import the server.
    """

    workers: int = 1
    max_body_size: int = 16 * 1024 * 1024
    default_accept: str = "application/json"
    render_metrics: MetricsRenderer | None = None
    openapi: Callable[[], dict] = field(default=lambda: {})
    sagemaker_multi_model: bool = False
    """Serve SageMaker's multi-model endpoints (``SAGEMAKER_MULTI_MODEL=true``)."""
    home_page: Handler | None = None
    """What ``GET /`` answers a browser that prefers HTML (the console); None: always the
    KServe V1 liveness JSON."""
