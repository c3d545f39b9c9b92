"""A model repository: the models one server serves, each with its own dataplane.

The protocols look every model up by name here (:meth:`ModelRepository.lookup`). A server
of one package is a repository of one model (:meth:`ModelRepository.of_one`): it answers
to the :data:`~tiffin.inference.dataplane.MODEL_ALIAS` too, and serves the routes that
name no model. A repository of several models loads each in its own background task, so
a slow or broken model never holds up the others: a broken one is FAILED with its reason
while the others serve.

Models can be loaded and unloaded at run time (:meth:`load`, :meth:`add`,
:meth:`unload`) unless :attr:`ModelRepository.changes_refused` says why not: a server of
one package, or several workers, each of which would see only its own change.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from tiffin.errors import (
    ModelLoadError,
    ModelNotFound,
    ModelNotNamed,
    ModelNotReady,
    RepositoryChangeRefused,
    TiffinError,
)
from tiffin.inference.dataplane import DataPlane, ModelState
from tiffin.version import __version__

logger = logging.getLogger("tiffin.server")

Build = Callable[[], DataPlane]
"""Imports a model's code and returns its dataplane, not loaded yet (blocking: it runs in a
thread). Raises a TiffinError naming what is wrong."""
BuildFor = Callable[[str, str], Build]
"""The :data:`Build` of a package at a path or URL, served under a name (SageMaker's
``POST /models``)."""
Hook = Callable[[DataPlane], None]

LOADING, READY, UNAVAILABLE = "LOADING", "READY", "UNAVAILABLE"
"""The states of the Open Inference Protocol's repository index."""


@dataclass
class Slot:
    """One model of the repository: how to build it, and where it is in its life."""

    name: str
    build: Build
    url: str = ""
    dataplane: DataPlane | None = None
    error: TiffinError | None = None
    unloaded: bool = False
    task: asyncio.Task[None] | None = None

    @property
    def state(self) -> ModelState | None:
        """LOADING, READY or FAILED; None once unloaded."""
        if self.unloaded:
            return None
        if self.error is not None:
            return ModelState.FAILED
        return self.dataplane.state if self.dataplane is not None else ModelState.LOADING

    def entry(self) -> dict[str, Any]:
        """Its line of the repository index: name, version, state and reason."""
        state = self.state
        version = self.dataplane.version if self.dataplane is not None else ""
        if state is None:
            return {"name": self.name, "version": version, "state": UNAVAILABLE,
                    "reason": "unloaded"}  # fmt: skip
        if state is ModelState.FAILED:
            return {"name": self.name, "version": version, "state": UNAVAILABLE,
                    "reason": f"failed to load: {_reason(self.error)}"}  # fmt: skip
        return {"name": self.name, "version": version,
                "state": READY if state is ModelState.READY else LOADING, "reason": ""}  # fmt: skip


class ModelRepository:
    """The served models by name; each loads, serves and unloads on its own."""

    def __init__(
        self,
        slots: Iterable[Slot] = (),
        *,
        changes_refused: str | None = None,
        build_for: BuildFor | None = None,
    ) -> None:
        self.slots: dict[str, Slot] = {}
        for slot in slots:
            if slot.name in self.slots:
                raise ModelLoadError(f"two models of the repository are named {slot.name!r}",
                                     hint="give one another `name` in the models list")  # fmt: skip
            self.slots[slot.name] = slot
        self.changes_refused = changes_refused
        """Why models cannot be loaded or unloaded at run time; None: they can."""
        self.build_for = build_for
        self.single: DataPlane | None = None
        """The one model of a server of one package; None for a repository."""
        self.on_built: Hook | None = None
        """Called with each new dataplane before it loads (the server sets its metrics)."""
        self.on_loaded: Hook | None = None
        """Called with each dataplane that loaded."""
        self.started = False
        """True once every model given at start-up has finished loading (or failed)."""
        self._build_lock = threading.Lock()

    @classmethod
    def of_one(cls, dataplane: DataPlane) -> ModelRepository:
        """The repository of a server of one package, serving ``dataplane``."""
        repository = cls(changes_refused="this server serves one package; serve a directory "
                                          "of packages or a spec with `models:` to change its "
                                          "models at run time")  # fmt: skip
        repository.single = dataplane
        repository.slots[dataplane.name] = Slot(dataplane.name, lambda: dataplane, "", dataplane)
        return repository

    # -- queries -----------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """The names of the served models (loaded, loading or failed; not unloaded)."""
        return [name for name, slot in self.slots.items() if not slot.unloaded]

    @property
    def ready(self) -> bool:
        """Server readiness: the model of one package has loaded; in a repository, every
        model given at start-up has finished loading, successfully or not (a failed one is
        reported per model, and does not take the others out of service)."""
        if self.single is not None:
            return self.single.ready
        return self.started

    def lookup(self, name: str, version: str | None = None) -> DataPlane:
        """The dataplane serving ``name`` (and ``version``). ModelNotFound names the served
        models; a model still being built is ModelNotReady, a failed one ModelLoadError."""
        if self.single is not None:
            self.single.check(name, version)
            return self.single
        slot = self._slot(name, version)
        if slot.error is not None:
            raise ModelLoadError(f"model {name!r} failed to load: {slot.error.message}",
                                 hint=slot.error.hint)  # fmt: skip
        if slot.dataplane is None:
            raise ModelNotReady(name)
        return slot.dataplane

    def model_ready(self, name: str, version: str | None = None) -> bool:
        """Whether ``name`` is ready; ModelNotFound if it is not served."""
        if self.single is not None:
            self.single.check(name, version)
            return self.single.ready
        return self._slot(name, version).state is ModelState.READY

    def default(self, hint: str) -> DataPlane:
        """The model of a route that names none: the one model of a server of one package;
        in a repository, ModelNotNamed with ``hint``."""
        if self.single is not None:
            return self.single
        raise ModelNotNamed(self.names, hint)

    def target(self, value: str) -> DataPlane:
        """The model a SageMaker target-model header names: its name, or a package path
        such as ``iris.tar.gz`` or ``models/iris/`` whose last part names it."""
        if value not in self.slots:
            stem = PurePosixPath(value.strip("/")).name
            for suffix in (".tar.gz", ".tgz", ".zip"):
                stem = stem.removesuffix(suffix)
            value = stem if stem in self.slots else value
        return self.lookup(value)

    def index(self, ready_only: bool = False) -> list[dict[str, Any]]:
        """The Open Inference Protocol repository index: name, version, state, reason."""
        entries = [slot.entry() for slot in self.slots.values()]
        return [e for e in entries if e["state"] == READY] if ready_only else entries

    def server_metadata(self) -> dict[str, Any]:
        """Open Inference Protocol server metadata; a repository has the repository
        extension too."""
        if self.single is not None:
            return self.single.server_metadata()
        return {"name": "tiffin", "version": __version__,
                "extensions": ["binary_tensor_data", "model_repository"]}  # fmt: skip

    def _slot(self, name: str, version: str | None) -> Slot:
        slot = self.slots.get(name)
        if slot is None or slot.unloaded:
            raise ModelNotFound(name, version, served=self.names)
        if version is not None and slot.dataplane is not None and version != slot.dataplane.version:
            raise ModelNotFound(name, version, served=self.names)
        return slot

    # -- loading and unloading ---------------------------------------------------------------

    async def start(self) -> None:
        """Load every model, each in its own task; returns when all have finished."""
        for slot in self.slots.values():
            slot.task = asyncio.create_task(self._load(slot))
        tasks = [slot.task for slot in self.slots.values() if slot.task is not None]
        await asyncio.gather(*tasks, return_exceptions=True)
        self.started = True

    async def load(self, name: str) -> None:
        """Load ``name`` again (after an unload or a failure); a ready one stays as it is.
        Raises the load's error if it fails."""
        self._check_changes(name)
        slot = self.slots.get(name)
        if slot is None:
            raise ModelNotFound(name, served=self.names)
        if slot.task is None or slot.task.done():
            if slot.state is ModelState.READY:
                return
            slot.unloaded, slot.error, slot.dataplane = False, None, None
            slot.task = asyncio.create_task(self._load(slot))
        task = slot.task
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.cancelled():
                raise  # this request was cancelled, not the load
            raise RepositoryChangeRefused(name, "it was unloaded while it loaded") from None
        if slot.error is not None:
            raise slot.error

    async def add(self, name: str, url: str) -> None:
        """Load the package at ``url`` as ``name`` (SageMaker's ``POST /models``); refused
        when ``name`` is served already."""
        self._check_changes(name)
        if self.build_for is None:
            raise RepositoryChangeRefused(name, "this server cannot load packages at run time")
        known = self.slots.get(name)
        if known is not None and not known.unloaded:
            raise RepositoryChangeRefused(name, "a model of that name is loaded already",
                                          hint=f"DELETE /models/{name} first")  # fmt: skip
        self.slots[name] = Slot(name, self.build_for(name, url), url)
        await self.load(name)

    def unload(self, name: str) -> None:
        """Stop serving ``name`` and release it; ModelNotFound if it is not served."""
        self._check_changes(name)
        slot = self.slots.get(name)
        if slot is None or slot.unloaded:
            raise ModelNotFound(name, served=self.names)
        if slot.task is not None:
            slot.task.cancel()
        if slot.dataplane is not None:
            slot.dataplane.close()
        slot.dataplane, slot.error, slot.unloaded = None, None, True
        logger.info("model %r unloaded", name)

    def close(self) -> None:
        """Stop every load in progress and release every model."""
        for slot in self.slots.values():
            if slot.task is not None:
                slot.task.cancel()
            if slot.dataplane is not None:
                slot.dataplane.close()

    def _build(self, build: Build) -> DataPlane:
        """One build at a time: importing puts the package's directory first on sys.path,
        so two packages with a module of the same name must not import at once."""
        with self._build_lock:
            return build()

    def _check_changes(self, name: str) -> None:
        if self.changes_refused is not None:
            raise RepositoryChangeRefused(name, self.changes_refused)

    async def _load(self, slot: Slot) -> None:
        """Build and load one model; a failure is recorded in its slot, never raised."""
        loop = asyncio.get_running_loop()
        try:
            dataplane = await loop.run_in_executor(None, self._build, slot.build)
            if self.on_built is not None:
                self.on_built(dataplane)
            slot.dataplane = dataplane
            await dataplane.load()
        except TiffinError as exc:
            slot.error = exc
        except Exception as exc:  # a bug in the user's code outside what tiffin words
            slot.error = ModelLoadError(f"{type(exc).__name__}: {exc}")
        if slot.error is not None:
            logger.error("model %r failed to load: %s", slot.name, _reason(slot.error))
        elif self.on_loaded is not None and slot.dataplane is not None:
            self.on_loaded(slot.dataplane)


def _reason(error: TiffinError | None) -> str:
    if error is None:
        return ""
    return error.message + (f" (hint: {error.hint})" if error.hint else "")
