"""The local engine: the calling process for one worker, a process pool for more.

Each pool worker loads the model once, on its first chunk. At most two chunks
per worker are in flight, so memory stays bounded whatever the input size.
Workers ignore Ctrl-C (the parent stops them) and die with their parent, so a
killed job leaves no stray processes.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from tiffin.errors import BatchError
from tiffin.jobs.batch.executors import register_executor
from tiffin.jobs.batch.messages import Chunk, ChunkResult
from tiffin.jobs.batch.options import BatchOptions
from tiffin.jobs.batch.worker import BatchJob, process_chunk

__all__ = ["LocalExecutor"]

IN_FLIGHT_PER_WORKER = 2
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@register_executor("local")
class LocalExecutor:
    """Runs chunks in this process (``workers == 1``) or in a pool of processes."""

    def __init__(self, options: BatchOptions) -> None:
        self.workers = options.workers or 1

    def run(self, job: BatchJob, chunks: Iterable[Chunk]) -> Generator[ChunkResult, None, None]:
        """Process every chunk; yield each result as it finishes."""
        if self.workers == 1:
            yield from _inline(job, iter(chunks))
            return
        yield from self._pool(job, iter(chunks))

    def _pool(self, job: BatchJob, chunks: Iterator[Chunk]) -> Iterator[ChunkResult]:
        method = "fork" if sys.platform == "linux" else "spawn"
        threads = max(1, _cores() // self.workers)
        executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context(method),
                                       initializer=_init_worker, initargs=(threads,))  # fmt: skip
        pending: set[Future[ChunkResult]] = set()
        limit = self.workers * IN_FLIGHT_PER_WORKER
        try:
            while True:
                while len(pending) < limit and (chunk := next(chunks, None)) is not None:
                    pending.add(executor.submit(process_chunk, job, chunk))
                if not pending:
                    break
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield _result(future)
        finally:
            _stop(executor, pending)


def _inline(job: BatchJob, chunks: Iterator[Chunk]) -> Iterator[ChunkResult]:
    """Process every chunk in this process, in order."""
    for chunk in chunks:
        yield job.process(chunk)


def _result(future: Future[ChunkResult]) -> ChunkResult:
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise BatchError(
            "a worker process died without a word (killed, or out of memory?)",
            hint="rerun the same command to resume; try fewer {=workers}",
        ) from exc


def _stop(executor: ProcessPoolExecutor, pending: set[Future[ChunkResult]]) -> None:
    """Shut the pool down; with work still in flight (interrupted), kill the workers."""
    if not pending:
        executor.shutdown(wait=True)
        return
    for future in pending:
        future.cancel()
    processes = list(getattr(executor, "_processes", {}).values())  # no public way in 3.11
    for process in processes:
        process.kill()
    executor.shutdown(wait=True, cancel_futures=True)


def _init_worker(threads: int) -> None:
    """Ignore Ctrl-C (the parent decides), die with the parent (Linux), share the cores.

    Unless the user set them, native thread pools (BLAS, OpenMP) are limited to this
    worker's share of the cores, so N workers do not start N times as many threads as
    there are cores: through the environment for libraries loaded later, and through
    threadpoolctl (it comes with scikit-learn) for those already loaded.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not any(name in os.environ for name in THREAD_VARIABLES):
        os.environ.update(dict.fromkeys(THREAD_VARIABLES, str(threads)))
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=threads)
        except ImportError:
            pass
    if sys.platform == "linux":
        try:
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1
