"""What a fetch says on stderr: one status line per step, and a progress line for large files.

The progress line (bytes done / total, MB/s) appears only for files of at least
``PROGRESS_MIN_BYTES``. On a terminal it is rewritten in place a few times a second;
in a log it is written as a new line every ``LOG_INTERVAL`` seconds, and once at the end.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["PROGRESS_MIN_BYTES", "DownloadProgress", "human_size", "say"]

PROGRESS_MIN_BYTES = 8 * 1024 * 1024
TTY_INTERVAL = 0.25
LOG_INTERVAL = 10.0
MB = 1_000_000


def human_size(size: int) -> str:
    """``532 B``, ``12.3 kB``, ``4.1 MB``, ``2.0 GB`` (powers of 1000)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size} B"


def say(message: str, stream: TextIO | None = None) -> None:
    """Print ``tiffin: message`` on stderr."""
    print(f"tiffin: {message}", file=stream or sys.stderr, flush=True)


class DownloadProgress:
    """Bytes received for one file, reported on ``stream`` at a throttled pace."""

    def __init__(self, label: str, total: int | None, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self.shown_at = self.started

    @property
    def visible(self) -> bool:
        """Whether this file is large enough to report."""
        return (self.total or self.done) >= PROGRESS_MIN_BYTES

    def update(self, done: int, total: int | None = None) -> None:
        """Record that ``done`` bytes (of ``total``, when now known) have arrived."""
        self.done = done
        self.total = total or self.total
        now = time.monotonic()
        if self.visible and now - self.shown_at >= (TTY_INTERVAL if self.tty else LOG_INTERVAL):
            self.shown_at = now
            self._show(end="\r" if self.tty else "\n")

    def finish(self) -> None:
        """Write the final line (for large files only)."""
        if self.visible:
            self._show(end="\n")

    def _show(self, end: str) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        total = f" / {self.total / MB:,.1f}" if self.total else ""
        line = (f"tiffin: {self.label}: {self.done / MB:,.1f}{total} MB "
                f"({self.done / MB / elapsed:,.1f} MB/s)")  # fmt: skip
        self.stream.write(line + ("\x1b[K" if self.tty else "") + end)
        self.stream.flush()
