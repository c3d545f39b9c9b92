"""How waiting looks on stderr: a live status line on a terminal, plain lines elsewhere.

Both print a line with the time waited whenever a condition (or a replica count)
changes. On a terminal, a status line below them (rich) keeps the current summary and
the elapsed time ticking between reads.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from tiffin.deploy.kserve.readiness import Snapshot
from tiffin.deploy.kserve.waiting import Display, Watch, format_elapsed


def opening_line(watch: Watch) -> str:
    """What is waited for, and that Ctrl-C does not stop it."""
    return f"tiffin: waiting for {watch.label} to be ready (Ctrl-C only stops the waiting)"


class PlainDisplay:
    """One line per change (for pipes and CI logs)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.shown: dict[str, str] = {}

    def start(self, watch: Watch) -> None:
        self.write(opening_line(watch))

    def show(self, snapshot: Snapshot, elapsed: float) -> None:
        for key, text in snapshot.lines:
            if self.shown.get(key) != text:
                self.shown[key] = text
                self.write(f"{format_elapsed(elapsed):>7}  {text}")

    def stop(self) -> None:
        self.stream.flush()

    def write(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


class LiveDisplay(PlainDisplay):
    """Plain lines scrolling above a live line: spinner, object, summary, elapsed time."""

    def __init__(self, console: Any = None, clock: Callable[[], float] = time.monotonic) -> None:
        from rich.console import Console
        from rich.spinner import Spinner

        super().__init__()
        self.console = console or Console(stderr=True)
        self.clock = clock
        self.started = clock()
        self.spinner = Spinner("dots")
        self.label = ""
        self.current = "applied"
        self.live: Any = None

    def start(self, watch: Watch) -> None:
        from rich.live import Live

        self.label = f"{watch.kind.kind} {watch.name}"
        self.started = self.clock()
        self.write(opening_line(watch))
        self.live = Live(get_renderable=self.render, console=self.console, transient=True)
        self.live.start()

    def show(self, snapshot: Snapshot, elapsed: float) -> None:
        self.current = snapshot.summary
        super().show(snapshot, elapsed)

    def render(self) -> Any:
        """The status line, redrawn a few times a second."""
        elapsed = format_elapsed(self.clock() - self.started)
        self.spinner.update(text=f"{self.label}  {self.current}  {elapsed}")
        return self.spinner

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()

    def write(self, line: str) -> None:
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)


def make_display(stream: TextIO | None = None) -> Display:
    """The live display on a terminal, plain lines otherwise."""
    stream = stream or sys.stderr
    if stream.isatty():
        return LiveDisplay()
    return PlainDisplay(stream)
