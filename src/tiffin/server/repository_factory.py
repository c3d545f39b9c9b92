"""Build the ASGI app of a model repository: one dataplane per model, each built and loaded
in the workers, in the background, on its own.

Each model is served under its entry's name, else its package's; its settings are the
server's (flags, environment, the repository spec's ``server:``), overridden by its own
package's ``server:`` section, then by its entry in ``models:``. Its ``MODEL_DIR`` is its
own package's model directory (the server's ``MODEL_DIR``, ``MODEL_NAME`` and
``/opt/ml/model`` belong to a server of one package).
"""

from __future__ import annotations

import os
import re
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from tiffin.errors import TiffinError
from tiffin.inference.batching import BatchOptions
from tiffin.inference.dataplane import DataPlane
from tiffin.inference.repository import Build, ModelRepository, Slot
from tiffin.model.loader import build_handle
from tiffin.server.app import TiffinApp
from tiffin.server.events_config import events_options
from tiffin.server.factory import request_worker_restart
from tiffin.server.grpc_config import grpc_options
from tiffin.spec import LoadedSpec, ServerSettings, load_spec
from tiffin.spec.entries import MODEL_SETTINGS
from tiffin.spec.repository import ModelSource, RepositoryPlan

_NOT_NAME = re.compile(r"[^A-Za-z0-9._-]")
_URI = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def create_repository_app(plan: RepositoryPlan, settings: ServerSettings) -> TiffinApp:
    """The app serving every model of ``plan``; nothing is imported until a worker starts.

    With more than one worker, models cannot be loaded or unloaded at run time: each
    worker would change its own models only, and requests would see them come and go.
    """
    events = events_options(settings)
    refused = None
    if settings.workers > 1:
        refused = (
            f"the server runs {settings.workers} workers, each holding its own models; run "
            "one worker (--workers 1) to load and unload at run time"
        )
    models = ModelRepository(
        [slot_for(source, settings) for source in plan.sources],
        changes_refused=refused,
        build_for=partial(build_for_url, settings=settings),
    )
    return TiffinApp(
        models,
        workers=settings.workers,
        max_body_size=settings.max_body_size,
        grpc=grpc_options(settings),
        console=settings.console,
        events=events,
        graceful_timeout=settings.graceful_timeout,
    )


def slot_for(source: ModelSource, settings: ServerSettings) -> Slot:
    """The repository slot of one package: its name now, its code when a worker builds it."""
    name = source.name or package_name(source.path)
    return Slot(name, partial(build_dataplane, source, settings, name), str(source.path))


def build_for_url(name: str, url: str, *, settings: ServerSettings) -> Build:
    """What builds the package at ``url`` (a path, ``file://`` or a storage URI fetched
    first) as ``name``: SageMaker's ``POST /models``."""
    return partial(_fetched_dataplane, name, url, settings)


def _fetched_dataplane(name: str, url: str, settings: ServerSettings) -> DataPlane:
    path = Path(url.removeprefix("file://"))
    if _URI.match(url) and not url.startswith("file://"):
        from tiffin.storage.fetch import fetch_model

        cache = Path(tempfile.gettempdir()) / "tiffin-models" / _NOT_NAME.sub("-", name)
        path = fetch_model(url, cache)
    return build_dataplane(ModelSource(path, name), settings, name)


def package_name(path: Path) -> str:
    """The name a package is served under: its spec's, else its directory's or file's."""
    try:
        return load_spec(path).spec.name
    except TiffinError:  # it fails again, with its reason, when the worker builds it
        stem = path.stem if path.suffix else path.name
        return _NOT_NAME.sub("-", stem).lstrip("._-") or "model"


def model_settings(
    server: ServerSettings, package: ServerSettings, given: dict[str, Any]
) -> ServerSettings:
    """One model's settings: the server's, then its package's own, then its entry's."""
    own = {key: getattr(package, key) for key in MODEL_SETTINGS if key in package.model_fields_set}
    return server.model_copy(update={**own, **given})


def build_dataplane(source: ModelSource, server: ServerSettings, name: str) -> DataPlane:
    """Import and check one package's model; its dataplane, not loaded yet."""
    loaded = load_spec(source.path)
    version = source.version or loaded.spec.version
    spec = loaded.spec.model_copy(update={"name": name, "version": version})
    if source.batching is not None:
        spec = spec.model_copy(update={"batching": source.batching})
    settings = model_settings(server, loaded.spec.server, source.settings)
    environ = {**spec.environment, **os.environ, "MODEL_NAME": name,
               "MODEL_DIR": str(spec.resolved_model_dir(loaded.root))}  # fmt: skip
    environ.pop("SM_MODEL_DIR", None)
    handle = build_handle(LoadedSpec(spec, loaded.root, loaded.source), environ=environ)
    return DataPlane(
        handle,
        timeout=settings.timeout,
        threads=settings.threads,
        on_wedged=request_worker_restart,
        batching=BatchOptions(
            settings.max_batch_size, settings.max_latency_ms / 1000, model_accepts=spec.batching
        ),
    )
