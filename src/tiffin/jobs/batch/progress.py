"""Progress of a batch job on stderr: rows, rows per second and time left.

On a terminal the bar is drawn with rich when it is installed, else as one
line rewritten in place. When stderr is not a terminal nothing is drawn (the
command prints a summary at the end). Time left is estimated from the input
bytes consumed, which are known ahead, unlike the number of rows.
"""

from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["BatchProgress", "make_progress"]


class BatchProgress:
    """Silent progress; the base of the visible ones."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self.rows = 0
        self.new_rows = 0
        self.new_bytes = 0
        self.started = time.monotonic()

    def start(self, total_bytes: int, done_bytes: int, done_rows: int) -> None:
        """Begin, with what a previous run already finished."""
        self.total, self.done, self.rows = total_bytes, done_bytes, done_rows
        self.started = time.monotonic()

    def advance(self, input_bytes: int, rows: int, fresh: bool = True) -> None:
        """Count a chunk finished now (``fresh``) or by an earlier run."""
        self.done += input_bytes
        if fresh:
            self.rows += rows
            self.new_rows += rows
            self.new_bytes += input_bytes
        self.draw()

    def rate(self) -> float:
        """Rows per second scored by this run."""
        return self.new_rows / max(time.monotonic() - self.started, 1e-9)

    def draw(self) -> None:
        """Show the current state (nothing, here)."""

    def finish(self) -> None:
        """Stop drawing."""


class LineProgress(BatchProgress):
    """One line on a terminal, rewritten at most every 0.2 s."""

    def __init__(self) -> None:
        super().__init__()
        self.shown = 0.0

    def draw(self) -> None:
        now = time.monotonic()
        if now - self.shown < 0.2 and self.done < self.total:
            return
        self.shown = now
        percent = 100 * self.done / self.total if self.total else 100.0
        eta = _eta(self.total - self.done, self.new_bytes, now - self.started)
        sys.stderr.write(f"\r{percent:5.1f}%  {self.rows:,} rows  {self.rate():,.0f} rows/s  "
                         f"ETA {eta}   ")  # fmt: skip
        sys.stderr.flush()

    def finish(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


class RichProgress(BatchProgress):
    """A rich progress bar."""

    def __init__(self) -> None:
        super().__init__()
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("[bold]batch"), BarColumn(), TextColumn("{task.percentage:>5.1f}%"),
            TextColumn("{task.fields[rows]:,} rows"), TextColumn("{task.fields[rate]:,.0f} rows/s"),
            TimeRemainingColumn(), console=Console(stderr=True), transient=False,
        )  # fmt: skip
        self.task: Any = None

    def start(self, total_bytes: int, done_bytes: int, done_rows: int) -> None:
        super().start(total_bytes, done_bytes, done_rows)
        self.task = self.bar.add_task("batch", total=max(total_bytes, 1), completed=done_bytes,
                                      rows=done_rows, rate=0.0)  # fmt: skip
        self.bar.start()

    def draw(self) -> None:
        self.bar.update(self.task, completed=self.done, rows=self.rows, rate=self.rate())

    def finish(self) -> None:
        self.bar.stop()


def make_progress(enabled: bool | None) -> BatchProgress:
    """Rich on a terminal if installed, else a plain line; silent off a terminal.

    ``enabled`` True or False forces it on (plain when not a terminal) or off.
    """
    terminal = sys.stderr.isatty()
    if enabled is False or (enabled is None and not terminal):
        return BatchProgress()
    if terminal:
        try:
            return RichProgress()
        except ImportError:
            pass
    return LineProgress()


def _eta(left: int, done_now: int, elapsed: float) -> str:
    if left <= 0:
        return "0:00"
    if done_now <= 0 or elapsed <= 0:
        return "--:--"
    seconds = int(elapsed * left / done_now)
    return f"{seconds // 60}:{seconds % 60:02d}"
