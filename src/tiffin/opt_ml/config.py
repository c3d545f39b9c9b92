"""Read (and, for local runs, write) the three training config files."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tiffin.errors import TrainingError
from tiffin.opt_ml.paths import TrainingPaths

RESERVED_HYPERPARAMETERS = frozenset({
    "sagemaker_program", "sagemaker_submit_directory", "sagemaker_enable_cloudwatch_metrics",
    "sagemaker_region", "sagemaker_container_log_level", "sagemaker_job_name",
    "default_user_module_name", "_tuning_objective_metric", "sagemaker_s3_output",
})  # fmt: skip
DEFAULT_HOST = "algo-1"


@dataclass(frozen=True)
class TrainingConfig:
    """What the config files say: hyperparameters, channels, and the cluster."""

    hyperparameters: dict[str, Any]
    framework_params: dict[str, Any]
    input_data_config: dict[str, dict[str, Any]]
    resource_config: dict[str, Any] = field(default_factory=dict)

    @property
    def current_host(self) -> str:
        return str(self.resource_config.get("current_host", DEFAULT_HOST))

    @property
    def hosts(self) -> list[str]:
        return sorted(self.resource_config.get("hosts", [self.current_host]))


def parse_hyperparameter(value: Any) -> Any:
    """Decode a value as SageMaker's toolkit does: JSON if it parses, else the raw string."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def read_config(paths: TrainingPaths) -> TrainingConfig:
    """Read hyperparameters.json, inputdataconfig.json and resourceconfig.json."""
    raw = _read_json(paths.hyperparameters_file, default={})
    decoded = {key: parse_hyperparameter(value) for key, value in raw.items()}
    user = {k: v for k, v in decoded.items()
            if k not in RESERVED_HYPERPARAMETERS and not k.startswith("sagemaker_")}  # fmt: skip
    framework = {k: v for k, v in decoded.items()
                 if k.startswith("sagemaker_") and k not in RESERVED_HYPERPARAMETERS}  # fmt: skip
    channels = _read_json(paths.input_data_config_file, default=None)
    if channels is None:
        channels = {d.name: {} for d in sorted(paths.data_dir.glob("*")) if d.is_dir()}
    resources = _read_json(paths.resource_config_file, default={})
    return TrainingConfig(user, framework, channels, resources)


def _read_json(path: Path, default: Any) -> Any:
    if not path.exists():
        return default
    try:
        value = json.loads(path.read_text())
    except ValueError as exc:
        raise TrainingError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise TrainingError(f"{path} must hold a JSON object, not {type(value).__name__}")
    return value


def write_local_config(
    paths: TrainingPaths, channels: dict[str, Path], hyperparameters: dict[str, str]
) -> None:
    """Lay out a local training tree: config files, and each channel linked into place."""
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    for name, source in channels.items():
        if not source.exists():
            raise TrainingError(f"channel {name!r}: {source} does not exist",
                                hint=f"check --channel {name}=DIR")  # fmt: skip
        target = paths.channel_dir(name)
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            raise TrainingError(f"channel {name!r}: {target} already exists in the base dir",
                                hint="use a fresh --base-dir")  # fmt: skip
        os.symlink(source.resolve(), target, target_is_directory=source.is_dir())
    data_config = {name: {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated",
                          "RecordWrapperType": "None"} for name in sorted(channels)}  # fmt: skip
    resources = {
        "current_host": DEFAULT_HOST,
        "current_instance_type": "local",
        "current_group_name": "homogeneousCluster",
        "hosts": [DEFAULT_HOST],
        "instance_groups": [{"instance_group_name": "homogeneousCluster",
                             "instance_type": "local", "hosts": [DEFAULT_HOST]}],
        "network_interface_name": "eth0",
    }  # fmt: skip
    paths.hyperparameters_file.write_text(json.dumps(hyperparameters, indent=2))
    paths.input_data_config_file.write_text(json.dumps(data_config, indent=2))
    paths.resource_config_file.write_text(json.dumps(resources, indent=2))
