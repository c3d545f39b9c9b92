"""A recording engine for unit tests: remembers every call and replays scripted output."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tiffin.build.engines.base import Engine, RunOptions, run_flags
from tiffin.build.process import Completed, LineSink

DEFAULT_OUTPUT = ("STEP 1/1: FROM scratch", "COMMIT", "Successfully built")


class RecordingEngine(Engine):
    """Stands in for docker, podman or buildah.

    ``calls`` lists what was asked (``("build", tag)``, ``("push", image, dest, tls)``);
    ``images`` holds the tags it has (those it built, and any given to it);
    ``contexts`` keeps, for each build, the context's file list and Dockerfile as they
    were when the engine was called (and whether ``no_cache`` was asked). Output lines
    and exit codes are scripted.
    """

    name = "fake"

    def __init__(
        self,
        *,
        build_output: Sequence[str] = DEFAULT_OUTPUT,
        build_returncode: int = 0,
        push_output: Sequence[str] = ("Writing manifest to image destination",),
        push_returncode: int = 0,
        reason_unusable: str | None = None,
        images: set[str] | None = None,
    ) -> None:
        self.build_output = tuple(build_output)
        self.build_returncode = build_returncode
        self.push_output = tuple(push_output)
        self.push_returncode = push_returncode
        self.reason_unusable = reason_unusable
        self.images = set() if images is None else images
        self.calls: list[tuple[object, ...]] = []
        self.contexts: list[dict[str, object]] = []

    def unusable(self) -> str | None:
        return self.reason_unusable

    def build(
        self, context: Path, tag: str, *, no_cache: bool = False, on_line: LineSink | None = None
    ) -> Completed:
        self.calls.append(("build", tag))
        files = sorted(p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file())
        dockerfile = (context / "Dockerfile").read_text()
        self.contexts.append({"files": files, "Dockerfile": dockerfile, "no_cache": no_cache})
        if self.build_returncode == 0:
            self.images.add(tag)
        return self._replay(
            ("fake", "build", tag), self.build_output, self.build_returncode, on_line
        )

    def image_exists(self, reference: str) -> bool:
        return reference in self.images

    def push(
        self,
        image: str,
        destination: str,
        *,
        tls_verify: bool = True,
        on_line: LineSink | None = None,
    ) -> Completed:
        self.calls.append(("push", image, destination, tls_verify))
        return self._replay(
            ("fake", "push", image, destination), self.push_output, self.push_returncode, on_line
        )

    def run_command(self, image: str, args: Sequence[str], options: RunOptions) -> list[str]:
        self.calls.append(("run", image, tuple(args)))
        return ["fake", "run", *run_flags(options), image, *args]

    @staticmethod
    def _replay(
        argv: tuple[str, ...], lines: tuple[str, ...], returncode: int, on_line: LineSink | None
    ) -> Completed:
        for line in lines:
            if on_line is not None:
                on_line(line)
        return Completed(argv, returncode, lines)
