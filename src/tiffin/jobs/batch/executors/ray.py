"""The Ray engine: the same chunks on Ray actors, on a local Ray or a cluster named by address.

``--engine ray`` starts Ray in this process with ``--workers`` CPUs and stops it at
the end; with ``--address`` (``ray://head:10001``, ``head:6379`` or ``auto``; else
``TIFFIN_RAY_ADDRESS`` or ``RAY_ADDRESS``) it joins that cluster instead, and a
program that called ``ray.init()`` itself keeps its connection. Each of ``--workers``
actors (by default one per free CPU of a cluster joined) is one process holding its
own copy of the package, shipped zipped through Ray's object store, and loads the
model on its first chunk. At most two chunks per actor are in flight, so the driver's
memory stays bounded; the driver writes every output, as with the other engines.
"""

from __future__ import annotations

import os
import socket
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from tiffin.errors import BatchError
from tiffin.jobs.batch.executors import register_executor
from tiffin.jobs.batch.executors._ray_worker import ChunkWorker, ModelDir, listing
from tiffin.jobs.batch.executors._shipping import pack_dir, pack_package
from tiffin.jobs.batch.messages import Chunk, ChunkResult
from tiffin.jobs.batch.options import BatchOptions
from tiffin.jobs.batch.worker import BatchJob

__all__ = ["RayExecutor"]

ADDRESS_VARIABLES = ("TIFFIN_RAY_ADDRESS", "RAY_ADDRESS")
IN_FLIGHT_PER_WORKER = 2
CONNECT_TIMEOUT = 10
QUIET = {"log_to_driver": False, "logging_level": "ERROR"}
"""Workers' output stays in Ray's logs, so that it never breaks the progress bar."""
LOGS_HINT = "rerun the same command to resume; the workers' logs are in the Ray session's logs/"


@register_executor("ray")
class RayExecutor:
    """Runs chunks on a pool of Ray actors, on a local Ray or on the cluster at ``address``."""

    def __init__(self, options: BatchOptions) -> None:
        self.workers = options.workers
        found = (os.environ.get(name) for name in ADDRESS_VARIABLES)
        self.address = options.address or next((value for value in found if value), None)

    def run(self, job: BatchJob, chunks: Iterable[Chunk]) -> Generator[ChunkResult, None, None]:
        """Process every chunk on the actors; yield each result as it finishes."""
        ray = _import_ray()
        with _connected(ray, self.address, self.workers) as local:
            size = self.workers or _free_cpus(ray)
            pool = _start_workers(ray, job, size, ship_model_dir=not local)
            finished = False
            try:
                yield from _stream(ray, job, pool, iter(chunks))
                finished = True
            finally:
                _stop(ray, pool, finished)


@contextmanager
def _connected(ray: Any, address: str | None, workers: int | None) -> Iterator[bool]:
    """Connect to Ray for the length of the job; yield True for a Ray started here."""
    if ray.is_initialized():  # the calling program's own connection: leave it open
        yield False
        return
    try:
        if address is None:
            ray.init(num_cpus=workers or 1, include_dashboard=False, **QUIET)
        else:
            _check_reachable(address)
            ray.init(address=address, **QUIET)
    except (OSError, TimeoutError, RuntimeError, ValueError) as exc:
        raise _unreachable(address, exc) from exc
    try:
        yield address is None
    finally:
        ray.shutdown()


def _check_reachable(address: str) -> None:
    """Fail fast when nothing listens at ``host:port``: Ray itself retries for minutes."""
    host, colon, port = address.removeprefix("ray://").rpartition(":")
    if colon and port.isdigit():
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT):
            pass


def _unreachable(address: str | None, exc: Exception) -> BatchError:
    reason = _first_line(exc)
    if address is None:
        return BatchError(f"cannot start a local Ray: {reason}",
                          hint="check the disk space of Ray's temp dir (RAY_TMPDIR)")  # fmt: skip
    return BatchError(
        f"cannot reach the Ray cluster at {address}: {reason}",
        hint="check {=address} (ray://head:10001, head:6379 or auto) and that the cluster is up; "
        "a cluster with token authentication also needs RAY_AUTH_MODE=token and its token",
    )


def _free_cpus(ray: Any) -> int:
    """One actor per CPU the cluster has free now (actors beyond that would only wait)."""
    return max(1, int(ray.available_resources().get("CPU", 1)))


def _start_workers(ray: Any, job: BatchJob, size: int, ship_model_dir: bool) -> list[Any]:
    """``size`` actors, each given the zipped package and where the model dir is."""
    package = ray.put(pack_package(job.package))
    model_dir = _model_dir(ray, ship_model_dir)
    actor = ray.remote(num_cpus=1, max_restarts=0)(ChunkWorker)
    return [actor.remote(job, package, model_dir) for _ in range(size)]


def _model_dir(ray: Any, ship: bool) -> ModelDir | None:
    """The driver's MODEL_DIR (a fetched ``--model-uri``), with a copy for remote nodes."""
    path = os.environ.get("MODEL_DIR") or os.environ.get("SM_MODEL_DIR")
    if not path or not Path(path).is_dir():
        return None
    root = Path(path).resolve()
    copy = [ray.put(pack_dir(root))] if ship else None
    return ModelDir(str(root), listing(root), copy)


InFlight = tuple[Any, int, int]
"""A chunk given to an actor: the actor, the chunk's input file and first line."""


def _stream(ray: Any, job: BatchJob, pool: list[Any],
            chunks: Iterator[Chunk]) -> Iterator[ChunkResult]:  # fmt: skip
    """Keep every actor at most two chunks busy; yield results as they finish."""
    free = deque(actor for _ in range(IN_FLIGHT_PER_WORKER) for actor in pool)
    running: dict[Any, InFlight] = {}
    while True:
        while free and (chunk := next(chunks, None)) is not None:
            actor = free.popleft()
            running[actor.process.remote(chunk)] = (actor, chunk.file, chunk.first_line)
        if not running:
            return
        [done], _ = ray.wait(list(running), num_returns=1)
        free.append(running[done][0])
        try:
            result: ChunkResult = ray.get(done)
        except ray.exceptions.RayError as exc:
            where = _working_on(job, running, running[done][0])
            raise BatchError(f"a Ray worker failed on the chunk at {where}: {_describe(exc)}",
                             hint=LOGS_HINT) from exc  # fmt: skip
        del running[done]
        yield result


def _working_on(job: BatchJob, running: dict[Any, InFlight], actor: Any) -> str:
    """Where the chunk that ``actor`` was processing starts: the first one it was given
    (an actor works on one chunk at a time; all of its chunks fail when it dies)."""
    _, file, line = next(item for item in running.values() if item[0] is actor)
    return f"{job.files[file].name}:{line}"


def _describe(exc: Exception) -> str:
    """The useful line of a Ray error: the original exception, or what became of the actor."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, Exception) and type(cause).__module__.split(".")[0] != "ray":
        return f"{type(cause).__name__}: {cause}"
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if getattr(exc, "actor_init_failed", False) and lines:
        return f"the worker could not start: {lines[-1]}"
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _stop(ray: Any, pool: list[Any], finished: bool) -> None:
    """Remove the actors' copies of the package (after a clean finish), then end them.

    Nothing here may hide why the job stopped: a copy left in a temp dir (removed by the
    next actor on that node) or an actor already gone with its node is no error.
    """
    if finished:
        with suppress(Exception):
            ray.get([actor.close.remote() for actor in pool], timeout=30)
    for actor in pool:
        with suppress(Exception):
            ray.kill(actor, no_restart=True)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise BatchError("{=engine} ray needs Ray", hint="pip install 'tiffin[ray]'") from exc
    return ray
