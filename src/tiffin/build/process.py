"""Run a command, streaming its merged output line by line: the one seam to subprocesses.

Engines, ``pip`` and ``setup.py`` all run through a :data:`CommandRunner`, so tests can hand in
a fake one that replays recorded output.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

LineSink = Callable[[str], None]


@dataclass(frozen=True)
class Completed:
    """How a command ended and everything it printed (stdout and stderr merged)."""

    argv: tuple[str, ...]
    returncode: int
    lines: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, count: int = 12) -> tuple[str, ...]:
        """The last ``count`` non-blank lines."""
        return tuple(line for line in self.lines if line.strip())[-count:]


class CommandRunner(Protocol):
    """Runs ``argv`` and reports each output line to ``on_line`` as it comes."""

    def __call__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        on_line: LineSink | None = None,
    ) -> Completed: ...


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    on_line: LineSink | None = None,
) -> Completed:
    """Run ``argv`` with ``env`` added to this process's environment; never raises on failure.

    A missing executable is reported as return code 127, as a shell would.
    """
    environment = {**os.environ, **(env or {})}
    lines: list[str] = []
    try:
        process = subprocess.Popen(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=environment,
            cwd=cwd,
            text=True,
            errors="replace",
            bufsize=1,
        )
    except OSError as exc:
        return Completed(tuple(argv), 127, (f"{argv[0]}: {exc.strerror or exc}",))
    assert process.stdout is not None
    with process:
        for raw in process.stdout:
            line = raw.rstrip("\r\n")
            lines.append(line)
            if on_line is not None:
                on_line(line)
    return Completed(tuple(argv), process.returncode, tuple(lines))
