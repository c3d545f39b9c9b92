"""Turn a failed build's output into one readable error: which step, why, what to do next.

"podman build failed at step 3/9 of stage 2/2: RUN apt-get update ..." followed by the
cause when it can be named (a system package apt cannot find, a dockerline of the spec,
pip's own error) and the last lines of output; an unpullable base image gets its own
error saying how to pick another.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tiffin.build.plan import BuildPlan
from tiffin.build.process import Completed
from tiffin.build.steps import Step, failing_step, output_of
from tiffin.errors import BaseImageUnavailable, BuildError

TAIL_LINES = 15
_APT = (
    re.compile(r"E: Unable to locate package (\S+)"),
    re.compile(r"E: Package '([^']+)' has no installation candidate"),
    re.compile(r"E: Version '[^']+' for '([^']+)' was not found"),
)
_PULL = re.compile(
    r"creating build container|initializing source|pull access denied|manifest unknown"
    r"|failed to resolve source metadata|repository does not exist|short-name"
    r"|error pulling image|unable to pull|no such host",
    re.IGNORECASE,
)
_FROM = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)", re.IGNORECASE)


def explain_build_failure(
    engine: str, done: Completed, plan: BuildPlan, log_file: str | None = None
) -> BuildError:
    """One error for a failed build of ``plan`` by ``engine``."""
    lines = list(done.lines)
    step = failing_step(lines)
    printed = output_of(step, lines) if step else []
    tail = tuple(printed[-TAIL_LINES:]) or done.tail(TAIL_LINES)
    image = _pull_failure(step, lines)
    if image is not None:
        return BaseImageUnavailable(image or plan.base_image, output=tail, log_file=log_file)
    if step is None:
        return BuildError(
            f"{engine} build failed before its first step (exit status {done.returncode})",
            output=tail,
            log_file=log_file,
        )
    where = f"{engine} build failed at {step.label}: {_short(step.instruction)}"
    cause, hint = _cause(step, printed or lines, plan)
    return BuildError(
        f"{where}\n{cause}" if cause else where,
        step=step.number,
        instruction=step.instruction,
        output=tail,
        log_file=log_file,
        hint=hint,
    )


def _pull_failure(step: Step | None, lines: Sequence[str]) -> str | None:
    """The base image that could not be pulled ("" if unknown), or None if that's not it."""
    from_step = step is not None and _FROM.match(step.instruction)
    if from_step:
        return from_step.group(1)
    if step is None and any(_PULL.search(line) for line in lines):
        return ""
    return None


def _cause(step: Step, lines: Sequence[str], plan: BuildPlan) -> tuple[str | None, str | None]:
    instruction = _normal(step.instruction)
    for index, line in enumerate(_dockerlines(plan), start=1):
        if _normal(line) == instruction:
            return (
                f"the failing step is dockerline {index} of the spec: {line.strip()}",
                "fix or remove it in `dockerlines`",
            )
    if plan.spec.system_packages and "apt-get install" in instruction:
        return _apt_cause(lines, plan.spec.system_packages)
    if "pip install" in instruction:
        errors = [line.strip() for line in lines if line.strip().startswith("ERROR:")]
        if errors:
            return f"installing the requirements failed: {errors[-1]}", _pip_hint(plan)
    return None, None


def _pip_hint(plan: BuildPlan) -> str:
    if plan.hermetic:
        return (
            f"the wheels were resolved for {plan.target.describe()}: the base image's Python "
            "must be python_version"
        )
    return "a hermetic build (--hermetic) resolves the requirements on the host first"


def _apt_cause(lines: Sequence[str], packages: Sequence[str]) -> tuple[str, str]:
    for line in lines:
        for pattern in _APT:
            match = pattern.search(line)
            if match:
                return (
                    f"system package {match.group(1)!r} cannot be installed: {line.strip()}",
                    "check its name in `system_packages` (Debian package names)",
                )
    return (
        f"installing the system packages ({', '.join(packages)}) failed",
        "apt-get needs the Debian mirror from inside the build; check the engine's network",
    )


def _dockerlines(plan: BuildPlan) -> list[str]:
    """Each instruction line of the spec's dockerlines (an item may hold several)."""
    found: list[str] = []
    for item in plan.spec.dockerlines:
        joined = re.sub(r"\\\s*\n", " ", item)
        found += [line for line in joined.splitlines() if line.strip()]
    return found


def _normal(text: str) -> str:
    """An instruction with continuations joined, spaces collapsed and its keyword upper-case."""
    words = re.sub(r"\\\s*\n", " ", text).split()
    return " ".join([words[0].upper(), *words[1:]]) if words else ""


def _short(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
