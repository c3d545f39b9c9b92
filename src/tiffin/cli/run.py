"""``tiffin run``: run an image (or a package, built first) in one of its modes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tiffin.cli.errors import handle_errors
from tiffin.cli.train import parse_pairs

if TYPE_CHECKING:
    from tiffin.build.engines import Engine
    from tiffin.build.run import RunRequest


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("target", metavar="IMAGE|PATH")
@click.argument("mode", type=click.Choice(["serve", "train", "batch"]), default="serve")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--port",
    "-p",
    "publish",
    default="8080",
    show_default=True,
    metavar="[ADDRESS:]PORT",
    help="serve: host port (on 127.0.0.1 by default).",
)
@click.option(
    "--channel",
    "-c",
    "channels",
    multiple=True,
    metavar="NAME=DIR",
    help="train, batch: mounted read-only at /opt/ml/input/data/NAME. Repeatable.",
)
@click.option(
    "--hp",
    "hyperparameters",
    multiple=True,
    metavar="KEY=VALUE",
    help="train: a hyperparameter (input/config/hyperparameters.json). Repeatable.",
)
@click.option(
    "--model-dir",
    type=click.Path(file_okay=False),
    help="Mounted at /opt/ml/model: read by serve and batch, written by train.",
)
@click.option(
    "--model-uri",
    metavar="URI",
    help="serve, batch: fetch the model (s3://, gs://, http(s)://, file:// or a path; a "
    ".tar.gz/.zip is extracted) on this host into --model-dir, else a cache dir, and mount "
    "it read-only at /opt/ml/model.",
)
@click.option(
    "--ml-dir",
    type=click.Path(file_okay=False),
    help="train, batch: the host directory mounted as /opt/ml [a new temp dir].",
)
@click.option(
    "--env",
    "-e",
    "env",
    multiple=True,
    metavar="NAME=VALUE",
    help="An environment variable for the container. Repeatable.",
)
@click.option("--engine", help="docker, podman or buildah [TIFFIN_ENGINE, else installed].")
@click.option("--base-image", help="When PATH is a package: the base image to build on.")
@handle_errors
def run(
    target: str,
    mode: str,
    args: tuple[str, ...],
    engine: str | None,
    base_image: str | None,
    **flags: Any,
) -> None:
    """Run IMAGE (or build the package at PATH, then run it) as `serve`, `train` or `batch`.

    Arguments after the mode (after `--`) go to the container's `tiffin serve|train|batch`.

    \b
      tiffin run iris:1 -p 9000
      tiffin run iris:1 train --channel train=./data --hp C=0.5 --model-dir ./model
      tiffin run iris:1 batch --channel input=./records -- --on-error skip
      tiffin run iris:1 --model-uri s3://models/iris/model.tar.gz
    """
    from tiffin.build.engines import select_engine
    from tiffin.build.run import run_command

    chosen = select_engine(engine)
    flags["model_dir"] = _model_dir(mode, flags["model_dir"], flags.pop("model_uri"))
    request = _request(_image(target, chosen, base_image), mode, args, flags)
    try:
        command = run_command(chosen, request)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--port") from exc
    click.echo(f"tiffin: {' '.join(command.argv)}", err=True)
    status = subprocess.call(command.argv)
    if command.ml_dir is not None:
        click.echo(f"tiffin: /opt/ml was {command.ml_dir} (model/, output/)", err=True)
    sys.exit(status)


def _request(image: str, mode: str, args: tuple[str, ...], flags: dict[str, Any]) -> RunRequest:
    from tiffin.build.run import RunRequest

    def path(value: str | Path | None) -> Path | None:
        return Path(value) if value else None

    channels = parse_pairs(flags["channels"], "--channel")
    return RunRequest(
        image=image,
        mode=mode,
        args=args,
        publish=flags["publish"],
        channels={name: Path(directory) for name, directory in channels.items()},
        hyperparameters=parse_pairs(flags["hyperparameters"], "--hp"),
        model_dir=path(flags["model_dir"]),
        ml_dir=path(flags["ml_dir"]),
        env=parse_pairs(flags["env"], "--env"),
    )


def _model_dir(mode: str, model_dir: str | None, model_uri: str | None) -> Path | None:
    """``--model-dir``, after fetching ``--model-uri`` into it (or into a cache dir)."""
    if not model_uri:
        return Path(model_dir) if model_dir else None
    if mode == "train":
        raise click.BadParameter("train writes the model; fetch one for serve or batch only",
                                 param_hint="--model-uri")  # fmt: skip
    from tiffin.storage import fetch_model, model_cache_dir, parse_uri

    uri = parse_uri(model_uri)
    return fetch_model(uri, model_dir or model_cache_dir(uri))


def _image(target: str, engine: Engine, base_image: str | None) -> str:
    """``target`` itself, or the image built from it when it names a package on disk."""
    if not Path(target).exists():
        return target
    from tiffin.build.builder import build_image

    return build_image(target, engine=engine, base_image=base_image).tag
