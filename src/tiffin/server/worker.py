"""Gunicorn worker classes running tiffin's ASGI app on uvicorn.

``TiffinWorker`` uses uvloop and httptools when installed (the fast path);
``TiffinH11Worker`` is pure Python. Gunicorn's SIGTERM triggers uvicorn's
graceful shutdown: in-flight requests finish (up to ``graceful_timeout``)
before the worker exits; the app's gRPC server, if any, drains at the same time.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any, ClassVar

from gunicorn.arbiter import Arbiter
from gunicorn.workers.base import Worker
from uvicorn.config import Config
from uvicorn.server import Server


async def _placeholder_app(scope: Any, receive: Any, send: Any) -> None:
    """A placeholder: uvicorn's Config wants an app; the worker serves its own."""


class _Server(Server):
    """uvicorn's server, telling the app the moment shutdown starts, so that the app's gRPC
    server drains at the same time as HTTP connections rather than after them."""

    def __init__(self, config: Config, on_shutdown: Callable[[], None] | None) -> None:
        super().__init__(config=config)
        self.on_shutdown = on_shutdown

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.on_shutdown is not None:
            self.on_shutdown()
        await super().shutdown(sockets)


class TiffinWorker(Worker):
    """A gunicorn worker that serves an ASGI app with uvicorn."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {"loop": "auto", "http": "auto"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, source in (("uvicorn.error", self.log.error_log),
                             ("uvicorn.access", self.log.access_log)):  # fmt: skip
            target = logging.getLogger(name)
            target.handlers = source.handlers
            target.setLevel(source.level)
            target.propagate = False
        self.config = Config(
            app=_placeholder_app,  # the app is handed to the server itself, per worker
            log_config=None,
            access_log=bool(self.cfg.accesslog),
            timeout_keep_alive=self.cfg.keepalive,
            timeout_notify=self.timeout,
            timeout_graceful_shutdown=int(self.cfg.graceful_timeout) or None,
            callback_notify=self._notify,
            limit_max_requests=self.max_requests or None,
            forwarded_allow_ips=self.cfg.forwarded_allow_ips,
            backlog=self.cfg.backlog,
            **self.CONFIG_KWARGS,
        )

    def init_signals(self) -> None:
        """Leave SIGTERM/SIGINT to uvicorn; keep SIGUSR1 (log reopen) from gunicorn."""
        for sig in self.SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGUSR1, self.handle_usr1)
        signal.siginterrupt(signal.SIGUSR1, False)

    async def _serve(self) -> None:
        self.config.app = self.wsgi
        server = _Server(self.config, getattr(self.wsgi, "begin_shutdown", None))
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGQUIT, self.handle_exit, signal.SIGQUIT, None)
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)

    def run(self) -> None:
        """Run the uvicorn server on this worker's event loop until it exits."""
        factory = self.config.get_loop_factory()
        if factory is None:
            asyncio.run(self._serve())
        elif sys.version_info >= (3, 11):
            with asyncio.Runner(loop_factory=factory) as runner:
                runner.run(self._serve())
        else:  # Python 3.10: no asyncio.Runner
            loop = factory()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve())
            finally:
                loop.close()

    async def _notify(self) -> None:
        self.notify()


class TiffinH11Worker(TiffinWorker):
    """The pure-Python variant: asyncio's loop and the h11 parser."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {"loop": "asyncio", "http": "h11"}
