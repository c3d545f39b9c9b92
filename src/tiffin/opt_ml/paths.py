"""The SageMaker training filesystem layout, hanging off one base directory.

In a SageMaker job the base is ``/opt/ml``; locally it is any directory, so the
same code runs unchanged in both places.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SAGEMAKER_BASE = Path("/opt/ml")


@dataclass(frozen=True)
class TrainingPaths:
    """Every path of the training contract under ``base``."""

    base: Path

    @property
    def input_dir(self) -> Path:
        return self.base / "input"

    @property
    def config_dir(self) -> Path:
        return self.input_dir / "config"

    @property
    def hyperparameters_file(self) -> Path:
        return self.config_dir / "hyperparameters.json"

    @property
    def input_data_config_file(self) -> Path:
        return self.config_dir / "inputdataconfig.json"

    @property
    def resource_config_file(self) -> Path:
        return self.config_dir / "resourceconfig.json"

    @property
    def data_dir(self) -> Path:
        return self.input_dir / "data"

    def channel_dir(self, channel: str) -> Path:
        """Where a channel's files are: ``input/data/<channel>``."""
        return self.data_dir / channel

    @property
    def model_dir(self) -> Path:
        return self.base / "model"

    @property
    def output_dir(self) -> Path:
        return self.base / "output"

    @property
    def output_data_dir(self) -> Path:
        return self.output_dir / "data"

    @property
    def intermediate_dir(self) -> Path:
        return self.output_dir / "intermediate"

    @property
    def failure_file(self) -> Path:
        return self.output_dir / "failure"

    @property
    def success_file(self) -> Path:
        return self.output_dir / "success"

    @property
    def checkpoint_dir(self) -> Path:
        return self.base / "checkpoints"

    def make_output_dirs(self) -> None:
        """Create the directories training writes into."""
        for directory in (self.model_dir, self.output_data_dir, self.intermediate_dir):
            directory.mkdir(parents=True, exist_ok=True)


def default_base(environ: dict[str, str] | os._Environ[str]) -> Path | None:
    """``SAGEMAKER_BASE_DIR``, else ``/opt/ml`` when it holds a training config, else None."""
    if environ.get("SAGEMAKER_BASE_DIR"):
        return Path(environ["SAGEMAKER_BASE_DIR"])
    if (SAGEMAKER_BASE / "input" / "config").is_dir():
        return SAGEMAKER_BASE
    return None
