"""What a training function receives: channels, hyperparameters and where to write."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tiffin.errors import TrainingError, setting
from tiffin.opt_ml.config import TrainingConfig
from tiffin.opt_ml.paths import TrainingPaths


@dataclass
class TrainingContext:
    """Handed to ``train(ctx)``: read inputs from ``channels``, write the model to ``model_dir``.

    ``output_dir`` is for other artifacts (metrics, reports); ``checkpoint_dir`` for
    checkpoints. Functions registered with :meth:`on_stop` run when the job is stopped
    (SIGTERM), before the process exits: save a checkpoint there.
    """

    paths: TrainingPaths
    config: TrainingConfig
    model_dir: Path
    environment: dict[str, str]
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("tiffin.train"))
    _stop_hooks: list[Callable[[], Any]] = field(default_factory=list, repr=False)

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """User hyperparameters, each decoded from JSON where it parses."""
        return self.config.hyperparameters

    @property
    def channels(self) -> dict[str, Path]:
        """Channel name -> the directory holding its files."""
        return {
            name: self.paths.channel_dir(name) for name in sorted(self.config.input_data_config)
        }

    def channel(self, name: str) -> Path:
        """The directory of one channel; a TrainingError names the channels there are."""
        directory = self.paths.channel_dir(name)
        if name not in self.config.input_data_config or not directory.exists():
            have = ", ".join(self.channels) or "none"
            raise TrainingError(
                f"channel {name!r} was not provided (channels: {have})",
                hint=f"pass {setting('channel')} {name}=DIR to tiffin train",
            )
        return directory

    @property
    def output_dir(self) -> Path:
        """Where non-model output goes: ``output/data``."""
        return self.paths.output_data_dir

    @property
    def checkpoint_dir(self) -> Path:
        """Where checkpoints go; created on first use."""
        self.paths.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        return self.paths.checkpoint_dir

    @property
    def current_host(self) -> str:
        return self.config.current_host

    @property
    def hosts(self) -> list[str]:
        return self.config.hosts

    def on_stop(self, hook: Callable[[], Any]) -> Callable[[], Any]:
        """Run ``hook`` if the job is stopped with SIGTERM (usable as a decorator)."""
        self._stop_hooks.append(hook)
        return hook

    def run_stop_hooks(self) -> None:
        """Run every registered stop hook; one failing does not stop the others."""
        for hook in self._stop_hooks:
            try:
                hook()
            except Exception:
                self.logger.exception("stop hook %r failed", hook)
