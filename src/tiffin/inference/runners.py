"""How the user's pipeline runs inside a worker, and how a hung request is cut off.

Three strategies, picked once from the model and ``threads``:

- :class:`InlineRunner`: every stage is sync and ``threads == 1``. The pipeline
  runs on the event loop thread, the fastest path for small models; a
  ``SIGALRM`` watchdog interrupts a call that outlives the timeout, so the
  worker recovers at once.
- :class:`ThreadPoolRunner`: sync stages run in a pool of ``threads`` threads;
  the request fails at the timeout, and once every thread is stuck the worker
  asks to be replaced.
- :class:`AsyncRunner`: some stage is a coroutine; it is awaited with a
  timeout and sync stages are handed to the inline or threaded caller.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from tiffin.errors import PredictionTimeout
from tiffin.model.handle import ModelHandle, call_inline

logger = logging.getLogger("tiffin.server")


class Runner(Protocol):
    """Runs the pipeline of one request with a timeout."""

    async def run(self, payload: Any) -> Any: ...

    def close(self) -> None: ...


class _Expired(BaseException):
    """Raised by the watchdog inside user code; BaseException so user code can't swallow it."""


class InlineRunner:
    """Run an all-sync pipeline on the loop thread with a SIGALRM watchdog."""

    def __init__(self, handle: ModelHandle, timeout: float) -> None:
        self.handle = handle
        self.timeout = timeout
        self._armed = False
        self._watchdog = threading.current_thread() is threading.main_thread()
        if self._watchdog:
            signal.signal(signal.SIGALRM, self._expire)

    def _expire(self, signum: int, frame: Any) -> None:
        if self._armed:
            self._armed = False
            raise _Expired

    async def run(self, payload: Any) -> Any:
        if not self._watchdog:
            return self.handle.run_sync(payload)
        try:
            self._armed = True
            signal.setitimer(signal.ITIMER_REAL, self.timeout)
            try:
                return self.handle.run_sync(payload)
            finally:
                self._armed = False
                signal.setitimer(signal.ITIMER_REAL, 0)
        except _Expired:
            logger.error(
                "%s timed out after %gs; the call was interrupted", self.handle.name, self.timeout
            )
            raise PredictionTimeout(self.handle.name, self.timeout) from None

    def close(self) -> None:
        if self._watchdog:
            signal.setitimer(signal.ITIMER_REAL, 0)


class ThreadPoolRunner:
    """Run sync stages in a thread pool; replace the worker when every thread hangs."""

    def __init__(
        self,
        handle: ModelHandle,
        timeout: float,
        threads: int,
        on_wedged: Callable[[], None] | None = None,
    ) -> None:
        self.handle = handle
        self.timeout = timeout
        self.threads = threads
        self.on_wedged = on_wedged
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="tiffin-model")
        self._stuck = 0
        self._lock = threading.Lock()

    async def call(self, func: Callable[[Any], Any], payload: Any) -> Any:
        """Run one sync callable in the pool (used for sync stages of async pipelines too)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, func, payload)

    async def run(self, payload: Any) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, self.handle.run_sync, payload)
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.timeout)
        except TimeoutError:
            self._track_stuck(future)
            raise PredictionTimeout(self.handle.name, self.timeout) from None

    def _track_stuck(self, future: asyncio.Future[Any]) -> None:
        with self._lock:
            self._stuck += 1
            stuck = self._stuck
        future.add_done_callback(self._unstick)
        logger.error(
            "%s timed out after %gs (%d of %d threads busy past the timeout)",
            self.handle.name,
            self.timeout,
            stuck,
            self.threads,
        )
        if stuck >= self.threads and self.on_wedged is not None:
            logger.error("every model thread is stuck; restarting this worker")
            self.on_wedged()

    def _unstick(self, _: asyncio.Future[Any]) -> None:
        with self._lock:
            self._stuck -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class AsyncRunner:
    """Await a pipeline with async stages under a timeout."""

    def __init__(self, handle: ModelHandle, timeout: float, pool: ThreadPoolRunner | None) -> None:
        self.handle = handle
        self.timeout = timeout
        self._pool = pool

    async def run(self, payload: Any) -> Any:
        call_sync = self._pool.call if self._pool is not None else call_inline
        try:
            return await asyncio.wait_for(self.handle.run_async(payload, call_sync), self.timeout)
        except TimeoutError:
            logger.error("%s timed out after %gs", self.handle.name, self.timeout)
            raise PredictionTimeout(self.handle.name, self.timeout) from None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


def make_runner(
    handle: ModelHandle,
    *,
    timeout: float,
    threads: int,
    on_wedged: Callable[[], None] | None = None,
) -> Runner:
    """Pick the fastest strategy that still enforces the timeout for this model."""
    if handle.all_sync:
        if threads <= 1:
            return InlineRunner(handle, timeout)
        return ThreadPoolRunner(handle, timeout, threads, on_wedged)
    pool = ThreadPoolRunner(handle, timeout, threads, on_wedged) if threads > 1 else None
    return AsyncRunner(handle, timeout, pool)
