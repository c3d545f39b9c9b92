"""How ready an InferenceService or a Deployment is, read from the object the API returns.

A :class:`Snapshot` says whether it is ready, whether it will not become ready (a
failure), and a few keyed lines a display prints whenever one of them changes: one per
condition (``PredictorReady=False RevisionMissing: ...``), the replica count of a
Deployment, and whether the controller has seen the latest change yet (after a second
deploy, the old ``Ready=True`` describes the old version until it has).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FAILED_TRANSITIONS = ("BlockedByFailedLoad", "InvalidSpec")
"""KServe's ``modelStatus.transitionStatus`` values after which waiting is pointless."""


@dataclass(frozen=True)
class Snapshot:
    """One reading of an object: ready or not, why not, and what to show."""

    ready: bool
    summary: str
    lines: tuple[tuple[str, str], ...] = ()
    url: str | None = None
    failure: str | None = None


def condition_line(condition: dict[str, Any]) -> str:
    """``PredictorReady=False RevisionMissing: Configuration "iris-predictor" is waiting...``."""
    text = f"{condition.get('type')}={condition.get('status')}"
    if condition.get("reason"):
        text += f" {condition['reason']}"
    if condition.get("message"):
        text += f": {condition['message']}"
    return text


def stale(obj: dict[str, Any], *, reported: bool = True) -> str | None:
    """A line when the controller has not yet observed the latest generation, else None.

    With ``reported=False`` a status without ``observedGeneration`` counts as current
    (KServe's controller does not always publish it).
    """
    generation = (obj.get("metadata") or {}).get("generation")
    observed = (obj.get("status") or {}).get("observedGeneration")
    if observed is None and not reported:
        return None
    if isinstance(generation, int) and (observed is None or observed < generation):
        return f"waiting for the controller to see generation {generation}"
    return None


def revisions_differ(status: dict[str, Any]) -> str | None:
    """A line while Knative's newest predictor revision is not the newest ready one."""
    predictor = (status.get("components") or {}).get("predictor") or {}
    created, ready = predictor.get("latestCreatedRevision"), predictor.get("latestReadyRevision")
    if created and created != ready:
        return f"waiting for revision {created} (ready: {ready or 'none'})"
    return None


def inference_service(obj: dict[str, Any]) -> Snapshot:
    """Ready when the ``Ready`` condition is True for the latest generation."""
    status = obj.get("status") or {}
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    lines = tuple((str(c.get("type")), condition_line(c)) for c in conditions)
    waiting = stale(obj, reported=False) or revisions_differ(status)
    if waiting:
        lines = (("generation", waiting), *lines)
    ready_now = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    ready = ready_now and not waiting
    pending = [c for c in conditions if c.get("status") != "True"]
    if ready:
        summary = "Ready"
    elif pending:
        summary = ", ".join(f"{c.get('type')}={c.get('status')}" for c in pending)
    else:
        summary = waiting or "no status yet"
    model = status.get("modelStatus") or {}
    failure = None
    if model.get("transitionStatus") in FAILED_TRANSITIONS:
        info = model.get("lastFailureInfo") or {}
        failure = str(info.get("message") or info.get("reason") or model["transitionStatus"])
    return Snapshot(ready, summary, lines, status.get("url"), failure)


def deployment(obj: dict[str, Any]) -> Snapshot:
    """Ready when every wanted replica runs the latest template and is available, as
    ``kubectl rollout status`` decides it."""
    status = obj.get("status") or {}
    wanted = (obj.get("spec") or {}).get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    available = status.get("availableReplicas", 0)
    total = status.get("replicas", 0)
    waiting = stale(obj)
    ready = not waiting and updated >= wanted and total <= updated and available >= wanted
    count = f"{available}/{wanted} replicas available, {updated} up to date"
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    lines = (("replicas", count), *((str(c.get("type")), condition_line(c)) for c in conditions))
    if waiting:
        lines = (("generation", waiting), *lines)
    failure = next(
        (
            str(c.get("message"))
            for c in conditions
            if c.get("reason") == "ProgressDeadlineExceeded"
        ),
        None,
    )
    return Snapshot(ready, "available" if ready else count, lines, None, failure)
