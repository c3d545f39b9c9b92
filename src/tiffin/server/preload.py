"""Load the model once in gunicorn's master, before it forks the workers.

Forked workers inherit the master's memory copy-on-write: a model loaded in the master
is one copy in RAM however many workers serve it, as long as nobody writes to its pages.
Only the handle's load runs here; the runner's threads, the event loop, the gRPC server
and the Kafka publisher are still created in each worker, after fork.

A model is not loaded in the master when:

- its class says ``shareable = False`` (its load opens sockets, starts threads or a GPU
  context, holds a file lock... anything that does not survive ``fork``);
- its ``load()`` is async (what it creates may belong to an event loop);
- torch is imported, built for CUDA, and the machine has a GPU: a CUDA context cannot
  cross ``fork`` (``shareable = True`` on the class says the model stays on the CPU);
- its load turned out to start threads or initialize CUDA: the master's copy is dropped.

Each worker then loads its own copy, as without preloading, and one log line says why.
So do the models of a repository (several models in one server): they are built in the
workers.
"""

from __future__ import annotations

import gc
import inspect
import logging
import os
import sys
import threading
import time
from pathlib import Path

from tiffin.errors import TiffinError
from tiffin.model.handle import ModelHandle
from tiffin.server.app import LOAD_FAILED_EXIT_CODE, TiffinApp
from tiffin.spec import ServerSettings

logger = logging.getLogger("tiffin.server")

SHAREABLE_ATTRIBUTE = "shareable"
"""The class attribute by which a model opts out of sharing (``shareable = False``), or
says it can be shared although torch could use a GPU (``shareable = True``)."""


def preload_app(app: TiffinApp, settings: ServerSettings) -> int | None:
    """In the master, before fork: preload ``app``'s model if ``settings`` ask for it.

    None to go on serving; :data:`~tiffin.server.app.LOAD_FAILED_EXIT_CODE` when the load
    failed, its reason logged in one line as a worker would.
    """
    if not wants_preload(settings):
        return None
    single = app.models.single
    if single is None:
        logger.info("the models of a repository are not shared by the workers: each of the "
                    "%d workers loads its own copies", settings.workers)  # fmt: skip
        return None
    try:
        preload(single.handle, settings.workers)
    except TiffinError as exc:
        logger.error("%s", exc.message + (f" (hint: {exc.hint})" if exc.hint else ""))
        return LOAD_FAILED_EXIT_CODE
    return None


def wants_preload(settings: ServerSettings) -> bool:
    """``preload`` as set, else on with more than one worker."""
    return settings.preload if settings.preload is not None else settings.workers > 1


def refusal(handle: ModelHandle) -> str | None:
    """Why the model cannot be loaded before fork, known before loading it; None if it can."""
    cls = handle.model_class
    declared = getattr(cls, SHAREABLE_ATTRIBUTE, None) if cls is not None else None
    if cls is not None and declared is False:
        return f"{cls.__name__}.{SHAREABLE_ATTRIBUTE} is False"
    if cls is not None and inspect.iscoroutinefunction(getattr(cls, "load", None)):
        return "its load() is async"
    if declared is not True and _gpu_visible():
        return "torch may use the GPU, and a CUDA context cannot cross fork"
    return None


def preload(handle: ModelHandle, workers: int) -> bool:
    """Load ``handle`` in this process and freeze the GC; True if the workers share it.

    False (one log line saying why) when the model cannot be shared: each worker then
    loads its own copy. A failing load raises :class:`~tiffin.errors.ModelLoadError`.
    """
    reason = refusal(handle)
    if reason is None:
        reason = _load(handle, workers)
    if reason is not None:
        logger.info("model %r is not shared by the workers (%s): each of the %d workers loads "
                    "its own copy", handle.name, reason, workers)  # fmt: skip
        return False
    return True


def _load(handle: ModelHandle, workers: int) -> str | None:
    """Load; None when done, else why the loaded model cannot be shared (then dropped)."""
    threads = set(threading.enumerate())
    started = time.perf_counter()
    pending = handle.start_load()
    if pending is not None:  # an async load() not declared so (a sync one returning a coroutine)
        _close(pending)
        return _drop(handle, "its load() returned a coroutine")
    started_threads = sorted(t.name for t in set(threading.enumerate()) - threads if t.is_alive())
    if started_threads:
        names = ", ".join(started_threads)
        return _drop(handle, f"its load started threads: {names}; set shareable = False on it")
    if _cuda_initialized():
        return _drop(handle, "its load initialized CUDA, which cannot cross fork")
    handle.loaded = True
    gc.collect()
    gc.freeze()  # the inherited objects stay out of the workers' collections: pages untouched
    logger.info("model %r loaded once in the master in %.2fs, shared by %d workers",
                handle.name, time.perf_counter() - started, workers)  # fmt: skip
    return None


def _drop(handle: ModelHandle, reason: str) -> str:
    """Forget the master's copy: each worker creates and loads its own."""
    handle.instance = None
    handle.stages = handle.feedback_stages = ()
    handle.names_parameter = None
    handle.loaded = False
    gc.collect()
    return reason


def _close(pending: object) -> None:
    """Close a coroutine that will never run."""
    close = getattr(pending, "close", None)
    if callable(close):
        close()


def _gpu_visible() -> bool:
    """True when torch is already imported, built for CUDA, and a GPU device is present.

    Guessed from ``/dev`` and ``CUDA_VISIBLE_DEVICES`` without asking CUDA, since even
    counting the devices may initialize the driver and leave the forked workers without
    CUDA.
    """
    torch = sys.modules.get("torch")
    if torch is None or not getattr(getattr(torch, "version", None), "cuda", None):
        return False
    if os.environ.get("CUDA_VISIBLE_DEVICES", "unset").strip() in ("", "-1"):
        return False
    return any(Path("/dev").glob("nvidia[0-9]*"))


def _cuda_initialized() -> bool:
    """True when torch is imported and has created its CUDA context in this process."""
    torch = sys.modules.get("torch")
    try:
        return torch is not None and bool(torch.cuda.is_initialized())
    except Exception:
        return False
