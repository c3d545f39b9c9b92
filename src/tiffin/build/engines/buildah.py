"""buildah: builds and pushes images without a daemon; it does not run containers."""

from __future__ import annotations

from collections.abc import Sequence

from tiffin.build.engines.base import RunOptions, run_flags
from tiffin.build.engines.podman import PodmanEngine
from tiffin.errors import EngineNotFound


class BuildahEngine(PodmanEngine):
    """``buildah build`` in Docker image format with layer caching (podman's own flags:
    ``podman build`` is buildah underneath)."""

    name = "buildah"
    binary = "buildah"

    def exists_argv(self, reference: str) -> list[str]:
        return [self.executable, "inspect", "--type", "image", reference]

    def push_target(self, destination: str) -> str:
        """buildah needs the transport spelled out."""
        return f"docker://{destination}"

    def run_command(self, image: str, args: Sequence[str], options: RunOptions) -> list[str]:
        """buildah cannot run containers; podman shares its images and can."""
        podman = self.which("podman")
        if podman is None:
            raise EngineNotFound(
                "buildah",
                "it builds images but cannot run them; install "
                "podman (it sees buildah's images) or docker",
            )
        return [podman, "run", *run_flags(options), image, *args]
