"""The live status line both deploy waits draw on a terminal (rich): a spinner, what is
waited for, its current state and the time waited, redrawn below the lines printed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tiffin.deploy.sagemaker.waiting import format_elapsed


class StatusLine:
    """A transient rich line; :meth:`print` writes lines that scroll above it."""

    def __init__(
        self, console: Any = None, clock: Callable[[], float] = time.monotonic, current: str = ""
    ) -> None:
        from rich.console import Console
        from rich.spinner import Spinner

        self.console = console or Console(stderr=True)
        self.clock = clock
        self.started = clock()
        self.spinner = Spinner("dots")
        self.label = ""
        self.current = current
        self.live: Any = None

    def start(self, label: str) -> None:
        """Start drawing, with the clock at zero."""
        from rich.live import Live

        self.label = label
        self.started = self.clock()
        self.live = Live(get_renderable=self.render, console=self.console, transient=True)
        self.live.start()

    def render(self) -> Any:
        """The status line, redrawn a few times a second."""
        elapsed = format_elapsed(self.clock() - self.started)
        self.spinner.update(text=f"{self.label}  {self.current}  {elapsed}")
        return self.spinner

    def stop(self) -> None:
        """Remove the line."""
        if self.live is not None:
            self.live.stop()

    def print(self, line: str) -> None:
        """One plain line above the status line."""
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)
