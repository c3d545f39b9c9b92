"""docker: the classic builder, and BuildKit through ``docker buildx`` when installed.

The classic builder (``DOCKER_BUILDKIT=0``) is used when the daemon is podman's
Docker-compatible service, which cannot run BuildKit.
"""

from __future__ import annotations

from pathlib import Path

from tiffin.build.engines.base import CliEngine, target_args
from tiffin.build.process import Completed, LineSink

_SERVER = "{{.Server.Version}} {{range .Server.Components}}{{.Name}};{{end}}"


class DockerEngine(CliEngine):
    """``docker build`` against whatever daemon ``docker`` talks to (DOCKER_HOST)."""

    name = "docker"
    binary = "docker"
    _server: str | None = None

    def server(self) -> str | None:
        """The daemon's version and components, or None when it does not answer."""
        if self._server is None:
            done = self.runner([self.executable, "version", "--format", _SERVER])
            self._server = done.lines[-1].strip() if done.ok and done.lines else ""
        return self._server or None

    def backed_by_podman(self) -> bool:
        return "podman" in (self.server() or "").lower()

    def unusable(self) -> str | None:
        missing = super().unusable()
        if missing:
            return missing
        if self.server() is None:
            return "the docker daemon does not answer (is it running? is DOCKER_HOST right?)"
        return None

    def build_argv(self, context: Path, tag: str) -> list[str]:
        return [
            self.executable,
            "build",
            "--force-rm",
            *target_args(context, tag),
        ]

    def build_env(self) -> dict[str, str]:
        env = {"BUILDKIT_PROGRESS": "plain"}
        if self.backed_by_podman():
            env["DOCKER_BUILDKIT"] = "0"
        return env

    def push(
        self,
        image: str,
        destination: str,
        *,
        tls_verify: bool = True,
        on_line: LineSink | None = None,
    ) -> Completed:
        """``docker tag`` then ``docker push``; TLS is up to the daemon (insecure-registries)."""
        tagged = self.runner([self.executable, "tag", image, destination], on_line=on_line)
        if not tagged.ok:
            return tagged
        return self.runner([self.executable, "push", destination], on_line=on_line)


class BuildxEngine(DockerEngine):
    """``docker buildx build --load``: BuildKit, with plain progress output."""

    name = "buildx"

    def unusable(self) -> str | None:
        reason = super().unusable()
        if reason:
            return reason
        if not self.runner([self.executable, "buildx", "version"]).ok:
            return "the docker buildx plugin is not installed"
        if self.backed_by_podman():
            return "the docker daemon is podman's service, which cannot run BuildKit"
        return None

    def build_argv(self, context: Path, tag: str) -> list[str]:
        return [
            self.executable,
            "buildx",
            "build",
            "--load",
            "--progress",
            "plain",
            *target_args(context, tag),
        ]

    def build_env(self) -> dict[str, str]:
        return {}
