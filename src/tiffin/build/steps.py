"""Recognise the step headers engines print while building, in each engine's format.

=================  ==============================================
podman, buildah    ``[2/2] STEP 3/9: RUN useradd ...`` (``[2/2]`` in multi-stage builds)
docker (classic)   ``Step 7/25 : RUN useradd ...``
BuildKit (buildx)  ``#7 [builder 3/5] RUN pip install ...``, then ``#7 ERROR: ...``
=================  ==============================================
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_PATTERNS = (
    re.compile(r"^(?:\[(?P<stage>\d+/\d+)\] )?STEP (?P<step>\d+/\d+): (?P<instruction>.+)$"),
    re.compile(r"^Step (?P<step>\d+/\d+) : (?P<instruction>.+)$"),
    re.compile(r"^#(?P<id>\d+) \[(?:(?P<stage>[\w.-]+) )?(?P<step>\d+/\d+)\] (?P<instruction>.+)$"),
)
_BUILDKIT_ERROR = re.compile(r"^#(?P<id>\d+) ERROR: ")


@dataclass(frozen=True)
class Step:
    """One build step: ``7/12``, its stage if the engine names one, and its instruction."""

    number: str
    instruction: str
    stage: str | None = None
    buildkit_id: str | None = None

    @property
    def label(self) -> str:
        """``step 7/12`` or ``step 3/9 of stage 2/2``."""
        if self.stage and "/" in self.stage:
            return f"step {self.number} of stage {self.stage}"
        if self.stage:
            return f"step {self.number} of stage {self.stage!r}"
        return f"step {self.number}"


def parse_step(line: str) -> Step | None:
    """The step a header line starts, or None for any other line."""
    for pattern in _PATTERNS:
        match = pattern.match(line.strip())
        if match:
            parts = match.groupdict()
            return Step(
                parts["step"], parts["instruction"].strip(), parts.get("stage"), parts.get("id")
            )
    return None


def failing_step(lines: Sequence[str]) -> Step | None:
    """The step a failed build stopped at, or None if it failed outside any step.

    BuildKit runs steps in parallel and marks the failing one with ``#N ERROR``; the
    other engines run them in order, so the last header is the failing step.
    """
    steps = [step for step in map(parse_step, lines) if step is not None]
    errors = [m.group("id") for m in map(_BUILDKIT_ERROR.match, map(str.strip, lines)) if m]
    if errors:
        found = [step for step in steps if step.buildkit_id == errors[-1]]
        return found[-1] if found else None
    return steps[-1] if steps else None


def output_of(step: Step, lines: Sequence[str]) -> list[str]:
    """The lines a step printed: after its header (BuildKit: its ``#N`` lines only)."""
    headers = [i for i, line in enumerate(lines) if parse_step(line) == step]
    after = list(lines[headers[-1] + 1 :]) if headers else []
    if step.buildkit_id is not None:
        prefix = f"#{step.buildkit_id} "
        after = [line.removeprefix(prefix) for line in after if line.startswith(prefix)]
    return [line for line in after if line.strip()]
