"""How waiting looks on stderr: a live status line on a terminal, plain lines elsewhere.

Both show every status change and secondary status transition with the time waited,
and every log line as it arrives. On a terminal, a status line below them (rich) keeps
the current status and the elapsed time ticking between polls.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from tiffin.deploy.sagemaker.waiting import Display, Snapshot, Transition, Watched, format_elapsed
from tiffin.deploy.status_line import StatusLine


def describe_status(snapshot: Snapshot) -> str:
    """``InProgress / Training`` (the secondary status when it says more)."""
    if snapshot.secondary and snapshot.secondary != snapshot.status:
        return f"{snapshot.status} / {snapshot.secondary}"
    return snapshot.status


def transition_line(transition: Transition, elapsed: float) -> str:
    """``  2:10  Downloading: Downloading input data``."""
    message = f": {transition.message}" if transition.message else ""
    return f"{format_elapsed(elapsed):>7}  {transition.status}{message}"


def opening_line(watched: Watched) -> str:
    """What is waited for, and that Ctrl-C does not stop it."""
    return f"tiffin: waiting for {watched.kind} {watched.name} (Ctrl-C only stops the waiting)"


class PlainDisplay:
    """One line per status change, transition and log line (for pipes and CI logs)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.status_shown: str | None = None

    def start(self, watched: Watched) -> None:
        self.write(opening_line(watched))

    def status(self, snapshot: Snapshot, elapsed: float) -> None:
        if snapshot.status != self.status_shown:
            self.status_shown = snapshot.status
            self.write(f"{format_elapsed(elapsed):>7}  {snapshot.status}")

    def transition(self, transition: Transition, elapsed: float) -> None:
        self.write(transition_line(transition, elapsed))

    def log(self, line: str) -> None:
        self.write(line)

    def stop(self) -> None:
        self.stream.flush()

    def write(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


class LiveDisplay(PlainDisplay):
    """Plain lines scrolling above a live status line: spinner, name, status, elapsed."""

    def __init__(self, console: Any = None, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.line = StatusLine(console, clock, current="starting")

    def start(self, watched: Watched) -> None:
        self.write(opening_line(watched))
        self.line.start(f"{watched.kind} {watched.name}")

    def status(self, snapshot: Snapshot, elapsed: float) -> None:
        self.line.current = describe_status(snapshot)
        super().status(snapshot, elapsed)

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
