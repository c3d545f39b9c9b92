"""The container engine seam: build, push and run images with one installed tool.

Every engine is driven through its command line, so each adapter only says which
arguments its tool takes; :class:`tiffin.build.engines.fake.RecordingEngine` stands in
for all of them in unit tests.
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from tiffin.build import process
from tiffin.build.process import CommandRunner, Completed, LineSink

Which = Callable[[str], str | None]


@dataclass(frozen=True)
class Mount:
    """A host directory mounted into a container."""

    host: Path
    container: str
    read_only: bool = False


@dataclass(frozen=True)
class RunOptions:
    """How to run a container: published ports, mounts, environment, user."""

    ports: tuple[tuple[str, int, int], ...] = ()
    """(host address, host port, container port)"""
    mounts: tuple[Mount, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    user: str | None = None
    name: str | None = None
    detach: bool = False


class Engine(ABC):
    """A container engine able to build and push images (and usually to run them)."""

    name: ClassVar[str]

    @abstractmethod
    def unusable(self) -> str | None:
        """Why this engine cannot be used on this machine, or None if it can."""

    @abstractmethod
    def build(
        self, context: Path, tag: str, *, no_cache: bool = False, on_line: LineSink | None = None
    ) -> Completed:
        """Build ``context`` (which holds a Dockerfile) and tag the image ``tag``.

        ``no_cache`` rebuilds every layer instead of reusing cached ones.
        """

    @abstractmethod
    def image_exists(self, reference: str) -> bool:
        """Whether the engine's local storage holds the image ``reference``."""

    @abstractmethod
    def push(
        self,
        image: str,
        destination: str,
        *,
        tls_verify: bool = True,
        on_line: LineSink | None = None,
    ) -> Completed:
        """Push ``image`` to ``destination`` (``registry/repository:tag``)."""

    @abstractmethod
    def run_command(self, image: str, args: Sequence[str], options: RunOptions) -> list[str]:
        """The command line that runs ``image`` with ``args``."""


class CliEngine(Engine):
    """An engine driven through its command-line tool ``binary``."""

    binary: ClassVar[str]

    def __init__(self, *, runner: CommandRunner = process.run, which: Which = shutil.which) -> None:
        self.runner = runner
        self.which = which

    @property
    def executable(self) -> str:
        """The tool's full path when it is installed, else its bare name."""
        return self.which(self.binary) or self.binary

    def unusable(self) -> str | None:
        if self.which(self.binary) is None:
            return f"`{self.binary}` is not installed"
        return None

    def build(
        self, context: Path, tag: str, *, no_cache: bool = False, on_line: LineSink | None = None
    ) -> Completed:
        argv = self.build_argv(context, tag)
        if no_cache:
            argv.insert(argv.index("build") + 1, "--no-cache")
        return self.runner(argv, env=self.build_env(), on_line=on_line)

    @abstractmethod
    def build_argv(self, context: Path, tag: str) -> list[str]:
        """The build command."""

    def build_env(self) -> dict[str, str]:
        """Environment variables the build command needs."""
        return {}

    def image_exists(self, reference: str) -> bool:
        return self.runner(self.exists_argv(reference)).ok

    def exists_argv(self, reference: str) -> list[str]:
        """The command that succeeds only when the image exists locally."""
        return [self.executable, "image", "inspect", reference]

    def push(
        self,
        image: str,
        destination: str,
        *,
        tls_verify: bool = True,
        on_line: LineSink | None = None,
    ) -> Completed:
        tls = [] if tls_verify else ["--tls-verify=false"]
        argv = [self.executable, "push", *tls, image, self.push_target(destination)]
        return self.runner(argv, on_line=on_line)

    def push_target(self, destination: str) -> str:
        """How the push command names ``registry/repository:tag``."""
        return destination

    def run_command(self, image: str, args: Sequence[str], options: RunOptions) -> list[str]:
        return [self.executable, "run", *run_flags(options), image, *args]


def target_args(context: Path, tag: str) -> list[str]:
    """The end of every build command: tag the image, read ``context``'s Dockerfile."""
    return ["--tag", tag, "--file", str(context / "Dockerfile"), str(context)]


def run_flags(options: RunOptions) -> list[str]:
    """``run`` flags docker and podman share."""
    flags = ["--detach"] if options.detach else ["--rm"]
    if options.name:
        flags += ["--name", options.name]
    for address, host_port, container_port in options.ports:
        flags += ["--publish", f"{address}:{host_port}:{container_port}"]
    for mount in options.mounts:
        suffix = ":ro" if mount.read_only else ""
        flags += ["--volume", f"{mount.host}:{mount.container}{suffix}"]
    for key, value in sorted(options.env.items()):
        flags += ["--env", f"{key}={value}"]
    if options.user:
        flags += ["--user", options.user]
    return flags
