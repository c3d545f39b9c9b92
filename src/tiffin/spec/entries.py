"""One model of a model repository: an entry of a spec's ``models:`` list."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tiffin.spec._fields import Name, VersionLabel

__all__ = ["MODEL_SETTINGS", "ModelEntry"]

MODEL_SETTINGS = ("threads", "timeout", "max_batch_size", "max_latency_ms")
"""The server settings each model of a repository may set for itself."""


class ModelEntry(BaseModel):
    """A package served beside others by one server, with its own name, version, settings
    and batching."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    path: str = Field(
        description="The package: a directory, a tiffin.yaml, a pyproject.toml or a .py "
        "file, relative to the spec holding the list.",
        examples=["iris", "models/churn/tiffin.yaml"],
    )
    name: Name | None = Field(
        default=None,
        description="The name it is served under. Default: the package's own name.",
        examples=["iris"],
    )
    version: VersionLabel | None = Field(
        default=None,
        description="Its version label. Default: the package's own version.",
        examples=["2"],
    )
    threads: int | None = Field(
        default=None, ge=1, description="Threads running its sync code (server.threads)."
    )
    timeout: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="Seconds one of its requests may take (server.timeout).",
    )
    max_batch_size: int | None = Field(
        default=None, ge=1, description="Most rows per predict call (server.max_batch_size)."
    )
    max_latency_ms: float | None = Field(
        default=None,
        ge=0,
        allow_inf_nan=False,
        description="Milliseconds a batch waits to fill (server.max_latency_ms).",
    )
    batching: bool | None = Field(
        default=None, description="Whether it accepts batches. Default: the package's own."
    )

    def settings(self) -> dict[str, Any]:
        """The server settings this entry sets for its model."""
        return {key: getattr(self, key) for key in MODEL_SETTINGS if getattr(self, key) is not None}
