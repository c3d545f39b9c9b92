"""How the user's pipeline runs inside a worker, and how a hung request is cut off.

Three strategies, picked once from the model and ``threads``:

- :class:`ModelThreadRunner`: every stage is sync and ``threads == 1``. The
  pipeline runs on one dedicated model thread, one request at a time in arrival
  order, while the event loop keeps reading requests: each request waits only
  for those ahead of it. A call that outlives the timeout answers 504 and is
  interrupted at its next Python instruction; a fresh model thread serves the
  requests behind it.
- :class:`ThreadPoolRunner`: sync stages run in a pool of ``threads`` threads;
  the request fails at the timeout, and once every thread is stuck the worker
  asks to be replaced.
- :class:`AsyncRunner`: some stage is a coroutine; it is awaited with a
  timeout and sync stages are handed to the inline or threaded caller.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from tiffin.errors import ModelNotReady, PredictionTimeout
from tiffin.model.handle import ModelHandle, Stages, call_inline

logger = logging.getLogger("tiffin.server")


class Runner(Protocol):
    """Runs one call with a timeout: the prediction pipeline, or the ``stages`` given
    (feedback, a custom endpoint)."""

    async def run(self, payload: Any, stages: Stages | None = None) -> Any: ...

    def close(self) -> None: ...


class _Expired(BaseException):
    """Raised in a timed-out call's thread; BaseException so user code can't swallow it."""


class _Call:
    """One request's pipeline run, queued for the model thread."""

    __slots__ = ("future", "payload", "stages", "started")

    def __init__(
        self, payload: Any, future: asyncio.Future[Any], stages: Stages | None = None
    ) -> None:
        self.payload = payload
        self.future = future
        self.stages = stages
        self.started = 0.0


def _settle(future: asyncio.Future[Any], ok: bool, outcome: Any) -> None:
    """Hand a call's result (or exception) to its request, unless it was already answered."""
    if future.done():
        return
    if ok:
        future.set_result(outcome)
    else:
        future.set_exception(outcome)


def _interrupt(thread: threading.Thread) -> None:
    """Raise :class:`_Expired` in ``thread`` at its next Python instruction.

    A thread blocked in C code (``time.sleep``, a socket read, a long native call) sees it
    only when that call returns.
    """
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(_Expired)
        )


class _ModelThread:
    """A daemon thread running queued calls one at a time, in the order they were queued.

    A retired thread takes no more calls: it ends once its current call returns.
    """

    def __init__(
        self,
        func: Callable[[Any, Stages | None], Any],
        calls: queue.SimpleQueue[_Call | None],
        loop: asyncio.AbstractEventLoop,
        name: str,
    ) -> None:
        self.func = func
        self.calls = calls
        self.loop = loop
        self.current: _Call | None = None
        self.retired = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            while not self.retired:
                try:
                    call = self.calls.get()
                    if call is None:
                        return
                    if not call.future.cancelled():
                        self._run(call)
                except _Expired:
                    continue  # the timed-out call was interrupted; retired, so the loop ends
        except _Expired:
            return

    def _run(self, call: _Call) -> None:
        call.started = time.monotonic()
        self.current = call
        try:
            ok, outcome = True, self.func(call.payload, call.stages)
        except _Expired:
            raise
        except BaseException as exc:
            ok, outcome = False, exc
        finally:
            with self.lock:
                self.current = None
        self.loop.call_soon_threadsafe(_settle, call.future, ok, outcome)


class ModelThreadRunner:
    """Run an all-sync pipeline on one model thread, requests in arrival order.

    The event loop only queues each request and awaits its answer, so it keeps reading
    sockets while the model computes: each request waits for the ones ahead of it, never
    for ones that arrived later. A watchdog timer answers 504 for a call running past
    the timeout, interrupts it (at its next Python instruction) and hands the queue to a
    fresh model thread. If an earlier timed-out call is still running when another one
    times out, the worker is wedged: queued requests answer 503 and ``on_wedged`` asks
    for the worker to be replaced.
    """

    def __init__(
        self,
        handle: ModelHandle,
        timeout: float,
        on_wedged: Callable[[], None] | None = None,
    ) -> None:
        self.handle = handle
        self.timeout = timeout
        self.on_wedged = on_wedged
        self._loop = asyncio.get_running_loop()
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread = self._start_thread()
        self._abandoned: _ModelThread | None = None
        self._in_flight = 0
        self._timer: asyncio.TimerHandle | None = None
        self._wedged = False

    def _start_thread(self) -> _ModelThread:
        return _ModelThread(self.handle.run_sync, self._calls, self._loop, "tiffin-model")

    async def run(self, payload: Any, stages: Stages | None = None) -> Any:
        if self._wedged:
            raise self._not_serving()
        future = self._loop.create_future()
        self._calls.put(_Call(payload, future, stages))
        self._in_flight += 1
        if self._timer is None:
            self._timer = self._loop.call_later(self.timeout, self._check)
        try:
            return await future
        finally:
            self._in_flight -= 1

    # -- the watchdog ------------------------------------------------------------------------

    def _check(self) -> None:
        """Expire the current call if it has run past the timeout; re-arm while busy."""
        self._timer = None
        if self._in_flight == 0 or self._wedged:
            return
        delay = self.timeout
        call = self._thread.current
        if call is not None:
            remaining = call.started + self.timeout - time.monotonic()
            if remaining <= 0:
                self._expire(call)
            else:
                delay = remaining
        self._timer = self._loop.call_later(delay, self._check)

    def _expire(self, call: _Call) -> None:
        """Answer 504 for ``call``, interrupt it and let a fresh thread serve the queue."""
        stuck = self._thread
        with stuck.lock:
            if stuck.current is not call:
                return  # it returned in the meantime
            stuck.retired = True
            _interrupt(stuck.thread)
        _settle(call.future, False, PredictionTimeout(self.handle.name, self.timeout))
        if self._abandoned is not None and self._abandoned.thread.is_alive():
            self._wedge()
            return
        logger.error(
            "%s timed out after %gs; interrupting the call, a fresh model thread serves "
            "the requests behind it",
            self.handle.name,
            self.timeout,
        )
        self._abandoned = stuck
        self._thread = self._start_thread()

    def _wedge(self) -> None:
        """Two calls are stuck: refuse the queue and ask for a fresh worker."""
        self._wedged = True
        logger.error(
            "%s timed out after %gs while an earlier timed-out call is still running; "
            "restarting this worker",
            self.handle.name,
            self.timeout,
        )
        while True:
            try:
                call = self._calls.get_nowait()
            except queue.Empty:
                break
            if call is not None:
                _settle(call.future, False, self._not_serving())
        if self.on_wedged is not None:
            self.on_wedged()

    def _not_serving(self) -> ModelNotReady:
        error = ModelNotReady(self.handle.name)
        error.hint = "this worker is restarting after model calls hung past the timeout"
        return error

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._thread.retired = True
        self._calls.put(None)


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

    async def run(self, payload: Any, stages: Stages | None = None) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, self.handle.run_sync, payload, stages)
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

    async def run(self, payload: Any, stages: Stages | None = None) -> Any:
        call_sync = self._pool.call if self._pool is not None else call_inline
        pending = self.handle.run_async(payload, call_sync, stages)
        try:
            return await asyncio.wait_for(pending, self.timeout)
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
            return ModelThreadRunner(handle, timeout, on_wedged)
        return ThreadPoolRunner(handle, timeout, threads, on_wedged)
    pool = ThreadPoolRunner(handle, timeout, threads, on_wedged) if threads > 1 else None
    return AsyncRunner(handle, timeout, pool)
