"""Build the ASGI app for a package: load the spec, import and check the model, wire a dataplane."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Mapping
from pathlib import Path

from tiffin.inference.batching import BatchOptions
from tiffin.inference.dataplane import DataPlane
from tiffin.model.loader import build_handle
from tiffin.server.app import TiffinApp
from tiffin.server.events_config import events_options
from tiffin.server.grpc_config import grpc_options
from tiffin.spec import LoadedSpec, ServerSettings, load_spec

SERVE_PATH_ENV = "TIFFIN_SERVE_PATH"
SERVE_SETTINGS_ENV = "TIFFIN_SERVE_SETTINGS"


def request_worker_restart() -> None:
    """Ask this worker to exit gracefully; gunicorn's arbiter starts a fresh one."""
    os.kill(os.getpid(), signal.SIGTERM)


def create_app(
    loaded: LoadedSpec,
    settings: ServerSettings,
    environ: Mapping[str, str] | None = None,
) -> TiffinApp:
    """Import and check the user's model now; it is instantiated and loaded per worker.

    Each worker also serves gRPC when ``settings`` ask for it (see
    :func:`tiffin.server.grpc_config.resolve_grpc_port`), and publishes events with a
    ``kafka_broker`` (:func:`tiffin.server.events_config.events_options`, checked here).
    """
    events = events_options(settings)
    handle = build_handle(loaded, environ=environ)
    dataplane = DataPlane(
        handle,
        timeout=settings.timeout,
        threads=settings.threads,
        on_wedged=request_worker_restart,
        batching=BatchOptions(
            settings.max_batch_size,
            settings.max_latency_ms / 1000,
            model_accepts=loaded.spec.batching,
        ),
    )
    return TiffinApp(
        dataplane,
        workers=settings.workers,
        max_body_size=settings.max_body_size,
        grpc=grpc_options(settings),
        console=settings.console,
        events=events,
        graceful_timeout=settings.graceful_timeout,
    )


def app_from_environment() -> TiffinApp:
    """Factory for the auto-reloading development server, which re-imports on each change."""
    path = Path(os.environ[SERVE_PATH_ENV])
    settings = ServerSettings.model_validate(json.loads(os.environ[SERVE_SETTINGS_ENV]))
    return create_app(load_spec(path), settings)
