"""Wait for a SageMaker job or endpoint to reach a final state, showing how it goes.

A :class:`Watched` thing is described every ``poll`` seconds; each description is read
into a :class:`Snapshot` whose :class:`State` says whether to keep waiting. New secondary
status transitions, the status and new log lines go to a display. Ctrl-C while waiting
leaves the remote job running: :func:`still_running` says how to follow it again.
The clock and sleep are injectable so tests run scripted state sequences instantly.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tiffin.deploy.sagemaker.logs import LogFollower
from tiffin.errors import CloudCallFailed, RemoteJobFailed

TRANSIENT_CODES = {"ThrottlingException", "Throttling", "RequestLimitExceeded"}


class State(enum.Enum):
    """Where a remote job or endpoint is, as far as waiting is concerned."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Transition:
    """One secondary status of a training job (``Downloading``) and SageMaker's message."""

    status: str
    message: str = ""


@dataclass(frozen=True)
class Snapshot:
    """What one describe call said: the raw status, its :class:`State`, and details.

    ``description`` is the whole describe response (model artifacts, billable time...).
    """

    status: str
    state: State
    secondary: str | None = None
    transitions: tuple[Transition, ...] = ()
    failure_reason: str | None = None
    description: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Watched:
    """A job or endpoint to wait for.

    ``kind`` is what a user calls it (``training job``), ``key`` its word in
    ``tiffin sagemaker status KEY NAME``; ``aws_hint`` is an aws CLI command to follow it.
    """

    kind: str
    key: str
    name: str
    describe: Callable[[], Snapshot]
    logs: LogFollower | None = None
    aws_hint: str = ""

    @property
    def follow_command(self) -> str:
        """The tiffin command that waits for it again."""
        return f"tiffin sagemaker status {self.key} {self.name} --wait"


class Display(Protocol):
    """Where waiting shows what happens (a live status line, or plain lines)."""

    def start(self, watched: Watched) -> None: ...
    def status(self, snapshot: Snapshot, elapsed: float) -> None: ...
    def transition(self, transition: Transition, elapsed: float) -> None: ...
    def log(self, line: str) -> None: ...
    def stop(self) -> None: ...


@dataclass
class Poller:
    """Describes ``watched`` until it leaves :attr:`State.RUNNING`; ``last`` is the latest."""

    watched: Watched
    display: Display
    poll: float = 10.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    last: Snapshot | None = None
    shown: int = field(default=0, init=False)

    def run(self) -> Snapshot:
        """Wait; the final snapshot, or :class:`RemoteJobFailed` when it failed or stopped."""
        self.display.start(self.watched)
        try:
            snapshot = self.until_final()
        finally:
            self.display.stop()
        if snapshot.state is not State.SUCCEEDED:
            raise failed(self.watched, snapshot)
        return snapshot

    def until_final(self) -> Snapshot:
        """Poll, sleeping ``poll`` seconds between calls, until the state is final."""
        started = self.clock()
        while True:
            snapshot = self.step(self.clock() - started)
            if snapshot is not None and snapshot.state is not State.RUNNING:
                return snapshot
            self.sleep(self.poll)

    def step(self, elapsed: float) -> Snapshot | None:
        """One poll: describe, show new transitions, the status and new log lines."""
        try:
            snapshot = self.watched.describe()
        except CloudCallFailed as exc:
            if exc.code in TRANSIENT_CODES:
                return None
            raise
        self.last = snapshot
        for transition in snapshot.transitions[self.shown :]:
            self.display.transition(transition, elapsed)
        self.shown = max(self.shown, len(snapshot.transitions))
        self.display.status(snapshot, elapsed)
        if self.watched.logs is not None:
            for line in self.watched.logs.poll():
                self.display.log(line)
        return snapshot


def failed(watched: Watched, snapshot: Snapshot) -> RemoteJobFailed:
    """The error of a job or endpoint that ended badly, pointing at its logs."""
    hint = f"its logs: {watched.aws_hint}" if watched.aws_hint else None
    return RemoteJobFailed(
        watched.kind, watched.name, snapshot.status, snapshot.failure_reason, hint=hint
    )


def still_running(watched: Watched, last: Snapshot | None) -> str:
    """What to tell a user who stopped waiting: the job goes on, and how to follow it."""
    status = last.status if last else "running"
    lines = [
        f"tiffin: stopped waiting; {watched.kind} {watched.name} is still {status}.",
        f"tiffin: follow it with `{watched.follow_command}`",
    ]
    if watched.aws_hint:
        lines.append(f"tiffin: or with `{watched.aws_hint}`")
    return "\n".join(lines)


def format_elapsed(seconds: float) -> str:
    """``75`` -> ``1:15``; ``3725`` -> ``1:02:05``."""
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
