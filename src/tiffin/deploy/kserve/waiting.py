"""Wait for an applied object to be ready (or deleted objects to be gone), showing how.

A :class:`Watch` reads one object every ``poll`` seconds into a
:class:`~tiffin.deploy.kserve.readiness.Snapshot` until it is ready, it reports a
failure, or ``timeout`` seconds have passed. Ctrl-C while waiting leaves the cluster
deploying: :func:`still_deploying` says how to follow it. The clock and sleep are
injectable so tests run scripted sequences instantly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tiffin.deploy.kserve.api import Kind
from tiffin.deploy.kserve.readiness import Snapshot
from tiffin.deploy.sagemaker.waiting import format_elapsed
from tiffin.errors import DeployError, RemoteJobFailed

Fetch = Callable[[], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Watch:
    """An object to wait for: what it is, how to read it, how a user follows it."""

    kind: Kind
    name: str
    namespace: str
    fetch: Fetch
    read: Callable[[dict[str, Any]], Snapshot]

    @property
    def label(self) -> str:
        """``InferenceService iris in namespace default``."""
        return f"{self.kind.kind} {self.name} in namespace {self.namespace}"

    @property
    def follow_command(self) -> str:
        """The kubectl command that shows it as it goes on."""
        if self.kind.kind == "Deployment":
            return f"kubectl rollout status deployment/{self.name} -n {self.namespace}"
        return f"kubectl get {self.kind.short} {self.name} -n {self.namespace} -w"


class Display(Protocol):
    """Where waiting shows what happens (a live status line, or plain lines)."""

    def start(self, watch: Watch) -> None: ...
    def show(self, snapshot: Snapshot, elapsed: float) -> None: ...
    def stop(self) -> None: ...


@dataclass
class Waiter:
    """Reads ``watch`` until it is ready; ``last`` is the latest snapshot."""

    watch: Watch
    display: Display
    timeout: float = 600.0
    poll: float = 2.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    last: Snapshot | None = field(default=None, init=False)

    def run(self) -> Snapshot:
        """The ready snapshot; :class:`DeployError` on timeout, :class:`RemoteJobFailed`
        when the object reports it cannot become ready."""
        self.display.start(self.watch)
        try:
            return self.until_ready()
        finally:
            self.display.stop()

    def until_ready(self) -> Snapshot:
        started = self.clock()
        while True:
            elapsed = self.clock() - started
            snapshot = self.step(elapsed)
            if snapshot.ready:
                return snapshot
            if snapshot.failure:
                raise RemoteJobFailed(
                    self.watch.kind.kind,
                    self.watch.name,
                    "failed",
                    snapshot.failure,
                    hint=self.why_hint(),
                )
            if elapsed >= self.timeout:
                raise self.timed_out(snapshot)
            self.sleep(max(min(self.poll, self.timeout - elapsed), 0.0))

    def step(self, elapsed: float) -> Snapshot:
        """One read: the object's snapshot, shown."""
        obj = self.watch.fetch()
        if obj is None:
            raise DeployError(
                f"{self.watch.label} was deleted while waiting for it", hint="deploy it again"
            )
        snapshot = self.watch.read(obj)
        self.last = snapshot
        self.display.show(snapshot, elapsed)
        return snapshot

    def timed_out(self, snapshot: Snapshot) -> DeployError:
        return DeployError(
            f"{self.watch.label} is not ready after {self.timeout:g} s: {snapshot.summary}",
            hint=f"it keeps deploying: follow it with `{self.watch.follow_command}`, or "
            f"wait longer with {{=timeout}}; {self.why_hint()}",
        )

    def why_hint(self) -> str:
        watch = self.watch
        return f"`kubectl describe {watch.kind.short} {watch.name} -n {watch.namespace}` shows why"


def still_deploying(watch: Watch) -> str:
    """One line for a user who stopped waiting: it goes on, and how to follow it."""
    return (
        f"tiffin: stopped waiting; {watch.label} keeps deploying: follow it with "
        f"`{watch.follow_command}`"
    )


def wait_gone(
    fetches: list[tuple[str, Fetch]],
    timeout: float,
    poll: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Until every fetch finds nothing; :class:`DeployError` naming what is left on timeout."""
    started = clock()
    left = list(fetches)
    while True:
        left = [(label, fetch) for label, fetch in left if fetch() is not None]
        if not left:
            return
        elapsed = clock() - started
        if elapsed >= timeout:
            names = ", ".join(label for label, _ in left)
            raise DeployError(
                f"{names} still there after {timeout:g} s",
                hint="deletion goes on in the cluster (finalizers may hold it); "
                "`kubectl get` it to follow",
            )
        sleep(max(min(poll, timeout - elapsed), 0.0))


__all__ = ["Display", "Waiter", "Watch", "format_elapsed", "still_deploying", "wait_gone"]
