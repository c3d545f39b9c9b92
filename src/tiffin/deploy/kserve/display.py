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
from tiffin.deploy.status_line import StatusLine


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
        super().__init__()
        self.line = StatusLine(console, clock, current="applied")

    def start(self, watch: Watch) -> None:
        self.write(opening_line(watch))
        self.line.start(f"{watch.kind.kind} {watch.name}")

    def show(self, snapshot: Snapshot, elapsed: float) -> None:
        self.line.current = snapshot.summary
        super().show(snapshot, elapsed)

    def stop(self) -> None:
        self.line.stop()

    def write(self, line: str) -> None:
        self.line.print(line)


def make_display(stream: TextIO | None = None) -> Display:
    """The live display on a terminal, plain lines otherwise."""
    stream = stream or sys.stderr
    if stream.isatty():
        return LiveDisplay()
    return PlainDisplay(stream)
