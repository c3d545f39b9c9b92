"""`tiffin run`: the engine command that runs an image in one of its modes.

``serve`` publishes the port (on 127.0.0.1 unless an address is given). ``train`` and
``batch`` mount a host directory as ``/opt/ml``, laid out as SageMaker lays it out
(``input/config/*.json``, ``input/data/<channel>/``, ``model/``, ``output/``), with each
``--channel`` mounted read-only at ``input/data/<name>``. They run as the calling user, so
what the container writes into the mount (the model, outputs) belongs to that user.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tiffin.build.engines import Engine, Mount, RunOptions
from tiffin.errors import TrainingError
from tiffin.opt_ml.config import write_local_config
from tiffin.opt_ml.paths import TrainingPaths

CONTAINER_ML = "/opt/ml"
CONTAINER_PORT = 8080


@dataclass(frozen=True)
class RunRequest:
    """What the user asked ``tiffin run`` for."""

    image: str
    mode: str = "serve"
    args: tuple[str, ...] = ()
    publish: str = "8080"
    channels: Mapping[str, Path] | None = None
    hyperparameters: Mapping[str, str] | None = None
    model_dir: Path | None = None
    ml_dir: Path | None = None
    env: Mapping[str, str] | None = None


@dataclass(frozen=True)
class RunCommand:
    """The command to run, and the host ``/opt/ml`` tree it mounts (train and batch)."""

    argv: list[str]
    ml_dir: Path | None


def run_command(engine: Engine, request: RunRequest) -> RunCommand:
    """The engine command line for ``request``; lays out the host tree for train and batch."""
    if request.mode == "serve":
        options = RunOptions(
            ports=(parse_publish(request.publish),),
            mounts=_model_mount(request, read_only=True),
            env=dict(request.env or {}),
        )
        return RunCommand(
            engine.run_command(request.image, ["serve", *request.args], options), None
        )
    ml_dir = prepare_ml_dir(request)
    mounts = [Mount(ml_dir, CONTAINER_ML)]
    mounts += [
        Mount(path.resolve(), f"{CONTAINER_ML}/input/data/{name}", read_only=True)
        for name, path in sorted((request.channels or {}).items())
    ]
    mounts += _model_mount(request, read_only=request.mode != "train")
    env = {"HOME": "/tmp", **(request.env or {})}
    if os.getuid() == 0:  # run as root, asked for: keep root, hand nothing over
        env.setdefault("TIFFIN_RUN_AS", "root")
    options = RunOptions(mounts=tuple(mounts), env=env, user=f"{os.getuid()}:{os.getgid()}")
    argv = engine.run_command(request.image, [request.mode, *request.args], options)
    return RunCommand(argv, ml_dir)


def parse_publish(value: str) -> tuple[str, int, int]:
    """``8080`` or ``0.0.0.0:8080`` -> (address, host port, container port)."""
    address, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not a port or ADDRESS:PORT (e.g. 9000, 0.0.0.0:9000)")
    return address or "127.0.0.1", int(port), CONTAINER_PORT


def prepare_ml_dir(request: RunRequest) -> Path:
    """The host ``/opt/ml`` tree: config files written, channels and model dirs in place."""
    base = request.ml_dir or Path(tempfile.mkdtemp(prefix=f"tiffin-run-{request.mode}-"))
    paths = TrainingPaths(base.resolve())
    write_local_config(paths, {}, dict(request.hyperparameters or {}))
    channels = request.channels or {}
    _write_channel_config(paths, channels)
    for name, source in channels.items():
        if not source.is_dir():
            raise TrainingError(f"--channel {name}={source}: no such directory")
        paths.channel_dir(name).mkdir(parents=True, exist_ok=True)
    paths.make_output_dirs()
    if request.model_dir is not None:
        request.model_dir.mkdir(parents=True, exist_ok=True)
    return paths.base


def _write_channel_config(paths: TrainingPaths, channels: Mapping[str, Path]) -> None:
    config = {
        name: {
            "TrainingInputMode": "File",
            "S3DistributionType": "FullyReplicated",
            "RecordWrapperType": "None",
        }
        for name in sorted(channels)
    }
    paths.input_data_config_file.write_text(json.dumps(config, indent=2))


def _model_mount(request: RunRequest, *, read_only: bool) -> tuple[Mount, ...]:
    if request.model_dir is None:
        return ()
    return (Mount(request.model_dir.resolve(), f"{CONTAINER_ML}/model", read_only=read_only),)
