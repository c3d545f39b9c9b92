"""podman: daemonless, rootless-capable, Docker-compatible."""

from __future__ import annotations

from pathlib import Path

from tiffin.build.engines.base import CliEngine, target_args


class PodmanEngine(CliEngine):
    """``podman build`` in Docker image format, so HEALTHCHECK is kept; layers cached."""

    name = "podman"
    binary = "podman"

    def build_argv(self, context: Path, tag: str) -> list[str]:
        return [
            self.executable,
            "build",
            "--format",
            "docker",
            "--layers",
            "--force-rm",
            *target_args(context, tag),
        ]

    def exists_argv(self, reference: str) -> list[str]:
        return [self.executable, "image", "exists", reference]
