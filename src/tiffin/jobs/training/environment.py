"""The ``SM_*`` environment variables, set as SageMaker's training toolkit sets them.

Every field of the toolkit's environment is exported as ``SM_`` + its upper-cased
name: strings as they are, ``None`` as ``""``, anything else as compact JSON
with sorted keys. Scripts written for SageMaker read these and run unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tiffin.opt_ml.config import TrainingConfig
from tiffin.opt_ml.paths import TrainingPaths


def encode(value: Any) -> str:
    """How the toolkit writes one value into the environment."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def user_args(hyperparameters: dict[str, Any]) -> list[str]:
    """Hyperparameters as script arguments: sorted ``--key value``, ``-k`` for one letter."""
    args: list[str] = []
    for key in sorted(hyperparameters):
        value = hyperparameters[key]
        if isinstance(value, dict):
            value = ",".join(f"{k}={v}" for k, v in value.items())
        args += [f"-{key}" if len(key) == 1 else f"--{key}", encode(value)]
    return args


def count_gpus() -> int:
    """Lines starting with ``GPU `` in ``nvidia-smi --list-gpus``; 0 without nvidia-smi."""
    if shutil.which("nvidia-smi") is None:
        return 0
    try:
        listing = subprocess.run(["nvidia-smi", "--list-gpus"], capture_output=True, text=True,
                                 timeout=10, check=False).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in listing.splitlines() if line.startswith("GPU "))


def training_environment(
    paths: TrainingPaths,
    config: TrainingConfig,
    *,
    model_dir: Path,
    entry_point: str,
    module_dir: Path,
    job_name: str,
) -> dict[str, Any]:
    """The toolkit's environment as a dict of fields (not yet encoded)."""
    resources = config.resource_config
    groups = resources.get("instance_groups") or [
        {"instance_group_name": "homogeneousCluster", "instance_type": "local",
         "hosts": config.hosts}
    ]  # fmt: skip
    current_group = resources.get("current_group_name", groups[0]["instance_group_name"])
    group_hosts = next((g["hosts"] for g in groups if g["instance_group_name"] == current_group),
                       config.hosts)  # fmt: skip
    channels = sorted(config.input_data_config)
    return {
        "model_dir": str(model_dir),
        "channels": channels,
        "hps": config.hyperparameters,
        "output_data_dir": str(paths.output_data_dir),
        "output_dir": str(paths.output_dir),
        "output_intermediate_dir": str(paths.intermediate_dir),
        "input_dir": str(paths.input_dir),
        "input_config_dir": str(paths.config_dir),
        "num_cpus": os.cpu_count() or 1,
        "num_gpus": count_gpus(),
        "hosts": config.hosts,
        "current_host": config.current_host,
        "network_interface_name": resources.get("network_interface_name", "eth0"),
        "current_instance_type": resources.get("current_instance_type", "local"),
        "current_instance_group": current_group,
        "current_instance_group_hosts": group_hosts,
        "instance_groups": [g["instance_group_name"] for g in groups],
        "instance_groups_dict": {g["instance_group_name"]: g for g in groups},
        "distribution_instance_groups": [],
        "is_hetero": len(groups) > 1,
        "resource_config": resources,
        "input_data_config": config.input_data_config,
        "user_args": user_args(config.hyperparameters),
        "user_entry_point": entry_point,
        "module_name": Path(entry_point).stem if entry_point.endswith(".py") else entry_point,
        "module_dir": str(module_dir),
        "framework_module": None,
        "framework_params": config.framework_params,
        "log_level": 20,
        "job_name": job_name,
    }


def environment_variables(fields: dict[str, Any], paths: TrainingPaths) -> dict[str, str]:
    """The environment variables a training script sees, ``SM_*`` and the rest."""
    variables = {f"SM_{key.upper()}": encode(value) for key, value in fields.items()}
    for channel in fields["channels"]:
        variables[f"SM_CHANNEL_{channel.upper()}"] = str(paths.channel_dir(channel))
    for name, value in fields["hps"].items():
        variables[f"SM_HP_{name.upper()}"] = encode(value)
    variables["SM_TRAINING_ENV"] = encode(fields)
    variables["CURRENT_HOST"] = fields["current_host"]
    variables["SAGEMAKER_JOB_NAME"] = fields["job_name"]
    variables.setdefault("TRAINING_JOB_NAME", fields["job_name"])
    return variables
