"""Run the server: gunicorn with tiffin's uvicorn workers, or an auto-reloading dev server.

Either way each worker process serves HTTP and, unless it is off, gRPC on its own port;
the gRPC port is decided and checked here, in the parent, before any worker starts.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from typing import Any

from tiffin.server.app import TiffinApp
from tiffin.server.grpc_config import check_port_free, grpc_options
from tiffin.server.preload import preload_app
from tiffin.spec import LoadedSpec, ServerSettings

WORKER_CLASSES = {
    "uvicorn": "tiffin.server.worker.TiffinWorker",
    "uvicorn-h11": "tiffin.server.worker.TiffinH11Worker",
}
TIMEOUT_MARGIN = 30.0
"""Gunicorn kills a silent worker this long after the request timeout, as a last resort."""

LOG_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    """Send tiffin's and the user's model logs to stderr at ``level``."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT, "%Y-%m-%d %H:%M:%S"))
    log = logging.getLogger("tiffin")
    log.handlers = [handler]
    log.setLevel(level.upper())
    log.propagate = False


def check_grpc_port(settings: ServerSettings) -> None:
    """Before any worker starts: refuse a gRPC port another process already uses."""
    options = grpc_options(settings)
    if options is not None:
        check_port_free(options)


def prepare_multiprocess_metrics() -> str:
    """Point prometheus_client at a fresh directory shared by all workers."""
    directory = tempfile.mkdtemp(prefix="tiffin-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    return directory


def gunicorn_options(settings: ServerSettings) -> dict[str, Any]:
    """Gunicorn settings equivalent to tiffin's server settings."""

    def child_exit(server: Any, worker: Any) -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

    return {
        "bind": [f"{settings.host}:{settings.port}"],
        "workers": settings.workers,
        "worker_class": WORKER_CLASSES.get(settings.worker_class, settings.worker_class),
        "timeout": int(settings.timeout + TIMEOUT_MARGIN),
        "graceful_timeout": int(settings.graceful_timeout),
        "loglevel": settings.log_level,
        "accesslog": "-" if settings.access_log else None,
        "errorlog": "-",
        "keepalive": 5,
        "child_exit": child_exit,
        "proc_name": "tiffin",
    }


def serve_production(app: TiffinApp, settings: ServerSettings) -> int:
    """Serve ``app`` with gunicorn until it is stopped; return gunicorn's exit status."""
    from gunicorn.app.base import BaseApplication

    failed = preload_app(app, settings)  # before fork: the workers share the loaded model
    if failed is not None:
        return failed
    options = gunicorn_options(settings)
    metrics_dir = prepare_multiprocess_metrics()
    master = os.getpid()

    class GunicornApp(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self) -> TiffinApp:
            return app

    try:
        GunicornApp().run()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    finally:
        if os.getpid() == master:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def serve_debug(loaded: LoadedSpec, settings: ServerSettings) -> None:
    """One auto-reloading uvicorn process that re-imports the model when a file changes."""
    import uvicorn

    from tiffin.server.factory import SERVE_PATH_ENV, SERVE_SETTINGS_ENV

    os.environ[SERVE_PATH_ENV] = str(loaded.source or loaded.root)
    os.environ[SERVE_SETTINGS_ENV] = json.dumps(settings.model_dump(mode="json"))
    uvicorn.run(
        "tiffin.server.factory:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        reload=True,
        reload_dirs=[str(loaded.root)],
        log_level=settings.log_level,
        access_log=settings.access_log,
        timeout_graceful_shutdown=int(settings.graceful_timeout) or None,
    )
