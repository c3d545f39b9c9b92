"""How far the sink got: rows written, events per second, lag per partition.

On a terminal one rich line is redrawn in place; elsewhere a log line is written every
``report_every`` seconds. The counts are kept either way for the final summary.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SinkProgress", "SinkSummary", "make_progress"]

log = logging.getLogger("tiffin.sink")


@dataclass
class SinkSummary:
    """What one run of the sink did."""

    events: int = 0
    rows: int = 0
    duplicates: int = 0
    malformed: int = 0
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0

    def line(self) -> str:
        """One line for the end of a run."""
        text = (f"stored {self.rows:,} metric rows from {self.events:,} events in "
                f"{self.elapsed:.1f} s")  # fmt: skip
        if self.duplicates:
            text += f"; {self.duplicates:,} rows were already stored"
        if self.malformed:
            text += f"; skipped {self.malformed:,} malformed events"
        return text


class SinkProgress:
    """Counts, and shows them now and then (here: only in the log, at ``show``)."""

    interval: float | None = None
    """Seconds between calls of :meth:`show`; None: the sink's ``report_every``."""

    def __init__(self) -> None:
        self.summary = SinkSummary()
        self.lag: dict[tuple[str, int], int] = {}
        self._last = (time.monotonic(), 0)
        self.rate = 0.0

    def add(self, events: int, rows: int, inserted: int, malformed: int) -> None:
        """Count a committed batch."""
        summary = self.summary
        summary.events += events
        summary.rows += inserted
        summary.duplicates += rows - inserted
        summary.malformed += malformed
        self.draw()

    def show(self, lag: dict[tuple[str, int], int]) -> None:
        """Periodic report: the rate since the last one, and the lag."""
        now = time.monotonic()
        then, events = self._last
        self.rate = (self.summary.events - events) / max(now - then, 1e-9)
        self._last = (now, self.summary.events)
        self.lag = lag
        self.report()

    def status(self) -> str:
        """The state as one line."""
        s = self.summary
        return (f"{s.rows:,} rows, {s.events:,} events ({self.rate:,.1f}/s), "
                f"{s.malformed:,} malformed, lag {describe_lag(self.lag)}")  # fmt: skip

    def draw(self) -> None:
        """Redraw after a batch (nothing here)."""

    def report(self) -> None:
        """Write the periodic line."""
        log.info("%s", self.status())

    def finish(self) -> SinkSummary:
        """Stop drawing; the summary of the run."""
        self.summary.elapsed = time.monotonic() - self.summary.started
        return self.summary


class LiveProgress(SinkProgress):
    """One rich line on the terminal, redrawn after each batch and every second."""

    interval = 1.0

    def __init__(self) -> None:
        super().__init__()
        from rich.console import Console
        from rich.live import Live

        self.live: Any = Live("", console=Console(stderr=True), refresh_per_second=4,
                              transient=False)  # fmt: skip
        self.live.start()

    def draw(self) -> None:
        self.live.update(f"[bold]metrics-sink[/bold] {self.status()}")

    def report(self) -> None:
        self.draw()

    def finish(self) -> SinkSummary:
        self.draw()
        self.live.stop()
        return super().finish()


def describe_lag(lag: dict[tuple[str, int], int]) -> str:
    """``12 (tiffin-metrics 0/12/0/0)``: the total, then each topic's partitions in order."""
    if not lag:
        return "n/a"
    topics: dict[str, list[str]] = {}
    for (topic, _), behind in sorted(lag.items()):
        topics.setdefault(topic, []).append(str(behind))
    parts = ", ".join(f"{topic} {'/'.join(behinds)}" for topic, behinds in topics.items())
    return f"{sum(lag.values()):,} ({parts})"


def make_progress(enabled: bool | None) -> SinkProgress:
    """A live line on a terminal (or if ``enabled``), periodic log lines otherwise."""
    if enabled or (enabled is None and sys.stderr.isatty()):
        return LiveProgress()
    return SinkProgress()
