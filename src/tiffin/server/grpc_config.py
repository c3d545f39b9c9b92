"""Whether and where the gRPC server runs, decided once before any worker starts.

Nothing here imports grpc: the gunicorn master only checks that the ``grpc`` extra is
installed (:func:`importlib.util.find_spec`) and that the port is free, so the gRPC
runtime first starts inside each worker, after the fork.
"""

from __future__ import annotations

import errno
import importlib.util
import logging
import socket
from dataclasses import dataclass

from tiffin.errors import ExtraNotInstalled, PortInUse, ServerError, setting
from tiffin.spec import ServerSettings

logger = logging.getLogger("tiffin.server")

DEFAULT_GRPC_PORT = 8081
"""The gRPC port when none is set, as in KServe and Triton."""
EXTRA_MODULES = {
    "grpc": "grpcio",
    "grpc_health": "grpcio-health-checking",
    "grpc_reflection": "grpcio-reflection",
    "google.protobuf": "protobuf",
}
"""What the ``grpc`` extra installs: module -> distribution."""


@dataclass(frozen=True)
class GrpcOptions:
    """How each worker runs its gRPC server."""

    host: str
    port: int
    max_message_size: int
    reuse_port: bool
    """Share the port between workers (SO_REUSEPORT); only with more than one worker, so
    that one worker never quietly shares a port with another process."""
    graceful_timeout: float

    @property
    def address(self) -> str:
        """``host:port`` as gRPC wants it (``[::1]:8081`` for IPv6)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def missing_distributions() -> list[str]:
    """The distributions of the ``grpc`` extra that are not installed."""
    missing = []
    for module, distribution in EXTRA_MODULES.items():
        try:
            found = importlib.util.find_spec(module)
        except (ModuleNotFoundError, ValueError):  # no parent package; a None in sys.modules
            found = None
        if found is None:
            missing.append(distribution)
    return missing


def resolve_grpc_port(settings: ServerSettings) -> ServerSettings:
    """``settings`` with ``grpc_port`` decided: a port, or 0 for no gRPC.

    Unset, it is :data:`DEFAULT_GRPC_PORT` when the ``grpc`` extra is installed, else 0
    with one log line saying how to turn gRPC on. Set (not 0) without the extra, it is
    an :class:`ExtraNotInstalled` error.
    """
    if settings.grpc_port == 0:
        return settings
    missing = missing_distributions()
    if not missing:
        return settings.model_copy(update={"grpc_port": settings.grpc_port or DEFAULT_GRPC_PORT})
    if settings.grpc_port is not None:
        raise ExtraNotInstalled("serving gRPC", "grpc", missing)
    logger.info("gRPC is off: pip install 'tiffin[grpc]' to serve the Open Inference Protocol "
                "over gRPC on port %d as well", DEFAULT_GRPC_PORT)  # fmt: skip
    return settings.model_copy(update={"grpc_port": 0})


def grpc_options(settings: ServerSettings) -> GrpcOptions | None:
    """The gRPC server of each worker, or None when gRPC is off (after
    :func:`resolve_grpc_port`)."""
    resolved = resolve_grpc_port(settings)
    if not resolved.grpc_port:
        return None
    return GrpcOptions(
        host=resolved.host,
        port=resolved.grpc_port,
        max_message_size=resolved.grpc_max_message_size,
        reuse_port=resolved.workers > 1,
        graceful_timeout=resolved.graceful_timeout,
    )


def check_port_free(options: GrpcOptions) -> None:
    """Raise :class:`PortInUse` unless ``options.port`` can be bound right now.

    The workers share the port through SO_REUSEPORT, which would also let them share it
    with another process that set it; checking first, without it, refuses that.
    """
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC does
        try:
            probe.bind((options.host, options.port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise ServerError(
                    f"cannot listen for gRPC on {options.address}: {exc.strerror or exc}",
                    hint=f"check {setting('host')} and {setting('grpc_port')}",
                ) from exc
            raise PortInUse("gRPC", options.host, options.port,
                            f"{setting('grpc_port')} (0 turns gRPC off)",
                            "it is already in use") from exc  # fmt: skip
