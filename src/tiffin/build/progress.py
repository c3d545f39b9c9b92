"""Show a long build compactly while keeping every line of it in a log file.

On a terminal one status line is redrawn in place (a spinner, the current step, the
elapsed time); elsewhere (CI, pipes) each step header is printed once. Either way the
full output goes to the log file, which a failure names.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import TextIO

from tiffin.build.steps import parse_step

SPINNER = "|/-\\"
KEEP_LOGS = 20


class BuildProgress:
    """A build's progress display and log file; use as a context manager."""

    def __init__(
        self, log_file: Path, *, stream: TextIO | None = None, live: bool | None = None
    ) -> None:
        self.log_file = log_file
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.started = time.monotonic()
        self._status = ""
        self._step = ""
        self._frame = 0
        self._drawn = 0.0
        log_file.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_file.open("w", encoding="utf-8")

    def __enter__(self) -> BuildProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def say(self, message: str) -> None:
        """A message of tiffin's own, on its own line (and in the log)."""
        self._clear()
        print(f"tiffin: {message}", file=self.stream, flush=True)
        self._log.write(f"tiffin: {message}\n")
        self._log.flush()

    def line(self, text: str) -> None:
        """One line of the engine's (or pip's) output."""
        self._log.write(text + "\n")
        step = parse_step(text)
        if step is not None:
            self._step = f"{step.label}: {' '.join(step.instruction.split())}"
            if not self.live:
                print(f"  {_fit(self._step, _width() - 2)}", file=self.stream, flush=True)
        if self.live and (step is not None or time.monotonic() - self._drawn > 0.1):
            self._draw()

    def close(self) -> None:
        """Clear the status line and close the log."""
        self._clear()
        if not self._log.closed:
            self._log.close()
        _prune(self.log_file.parent)

    def _draw(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        elapsed = time.monotonic() - self.started
        status = f"{SPINNER[self._frame]} {elapsed:5.0f}s {self._step}"
        self._status = _fit(status, _width() - 1)
        self.stream.write("\r\x1b[2K" + self._status)
        self.stream.flush()
        self._drawn = time.monotonic()

    def _clear(self) -> None:
        if self.live and self._status:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._status = ""


def _width() -> int:
    return min(shutil.get_terminal_size((100, 20)).columns, 160)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 0)] + "..."


def _prune(directory: Path) -> None:
    """Keep only the newest :data:`KEEP_LOGS` build logs."""
    logs = sorted(directory.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in logs[KEEP_LOGS:]:
        old.unlink(missing_ok=True)
