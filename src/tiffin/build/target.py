"""The Python and platform an image runs, as pip needs them to pick wheels for it."""

from __future__ import annotations

import platform
from dataclasses import dataclass

DEFAULT_GLIBC = (2, 36)
"""glibc of Debian bookworm, under python:3.X-slim and the other Debian-based images."""
OLDEST_GLIBC_MINOR = 17
"""manylinux_2_17 (manylinux2014) is the oldest policy still published for most packages."""
_MACHINES = {"amd64": "x86_64", "x86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}


@dataclass(frozen=True)
class Target:
    """CPython ``python_version`` on glibc Linux for one CPU architecture."""

    python_version: str
    machine: str = "x86_64"
    glibc: tuple[int, int] = DEFAULT_GLIBC

    @property
    def abi(self) -> str:
        """The CPython ABI tag, ``cp311`` for 3.11."""
        return "cp" + self.python_version.replace(".", "")

    def platforms(self) -> list[str]:
        """Every manylinux platform tag the image accepts, newest first."""
        major, newest = self.glibc
        tags = [
            f"manylinux_{major}_{minor}_{self.machine}"
            for minor in range(newest, OLDEST_GLIBC_MINOR - 1, -1)
        ]
        tags.append(f"manylinux2014_{self.machine}")
        if self.machine in ("x86_64", "i686"):
            tags += [f"manylinux2010_{self.machine}", f"manylinux1_{self.machine}"]
        return tags

    def pip_options(self) -> list[str]:
        """``pip download`` options selecting wheels for this target only."""
        options = ["--only-binary=:all:", "--implementation", "cp"]
        options += ["--python-version", self.python_version, "--abi", self.abi]
        for tag in self.platforms():
            options += ["--platform", tag]
        return options

    def describe(self) -> str:
        """``CPython 3.11 on manylinux x86_64 (glibc 2.36)``."""
        glibc = ".".join(map(str, self.glibc))
        return f"CPython {self.python_version} on manylinux {self.machine} (glibc {glibc})"


def host_target(python_version: str) -> Target:
    """The target of an image built on this machine: its CPU architecture, Debian's glibc."""
    machine = platform.machine().lower()
    return Target(python_version, _MACHINES.get(machine, machine))
