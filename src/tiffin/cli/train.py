"""``tiffin train``: run a package's training under the SageMaker training contract."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from tiffin.cli.errors import handle_errors
from tiffin.errors import TrainingError


def parse_pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """``("a=1", "b=2")`` -> ``{"a": "1", "b": "2"}``; a value without ``=`` is an error."""
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise TrainingError(f"{option} {value!r} is not NAME=VALUE",
                                hint=f"e.g. {option} epochs=10")  # fmt: skip
        pairs[key] = rest
    return pairs


@click.command()
@click.argument("path", default=".", type=click.Path(exists=True))
@click.option(
    "--channel",
    "-c",
    "channels",
    multiple=True,
    metavar="NAME=DIR",
    help="A data channel, linked to input/data/NAME. Repeatable.",
)
@click.option(
    "--hp",
    "hyperparameters",
    multiple=True,
    metavar="KEY=VALUE",
    help="A hyperparameter; values are parsed as JSON where they parse. Repeatable.",
)
@click.option(
    "--model-dir",
    type=click.Path(file_okay=False),
    help="Where the trained model goes, replaced only on success "
    "[default: the package's model_dir].",
)
@click.option(
    "--base-dir",
    type=click.Path(file_okay=False),
    help="Root of the SageMaker tree (input/, model/, output/) [default: "
    "$SAGEMAKER_BASE_DIR, /opt/ml in a SageMaker job, else a new temp dir].",
)
@handle_errors
def train(
    path: str,
    channels: tuple[str, ...],
    hyperparameters: tuple[str, ...],
    model_dir: str | None,
    base_dir: str | None,
) -> None:
    """Train the package in PATH exactly as a SageMaker training job would.

    The entry point is `train` in tiffin.yaml (a function, or a script such as train.py
    that reads SM_* variables and --hyperparameter arguments), else the model class's
    train(self, ctx). On failure the reason is written to output/failure and the exit
    status is 1; the previous model is left untouched.

    \b
      tiffin train . --channel train=./data/train --hp epochs=10
    """
    from tiffin.jobs.training import TrainingPaths, default_base, run_training
    from tiffin.opt_ml.config import write_local_config
    from tiffin.spec import load_spec

    loaded = load_spec(path)
    local = bool(channels or hyperparameters) or base_dir is not None
    base = Path(base_dir) if base_dir else (None if local else default_base(os.environ))
    in_sagemaker = base is not None and not local
    if base is None:
        base = Path(tempfile.mkdtemp(prefix=f"tiffin-train-{loaded.spec.name}-"))
    paths = TrainingPaths(base.resolve())
    if not in_sagemaker:
        write_local_config(
            paths,
            {k: Path(v) for k, v in parse_pairs(channels, "--channel").items()},
            parse_pairs(hyperparameters, "--hp"),
        )
    target = None if in_sagemaker else Path(
        model_dir or loaded.spec.resolved_model_dir(loaded.root)
    )  # fmt: skip
    click.echo(f"tiffin: training {loaded.spec.name!r} in {paths.base}", err=True)
    result = run_training(loaded, paths, publish_to=target)
    if result.exit_code == 0:
        done = f"{result.message} in {result.seconds:.1f}s; model in {result.model_dir}"
        click.echo(f"tiffin: {done}", err=True)
    else:
        click.secho(f"error: {result.message}", fg="red", err=True)
        if paths.failure_file.exists():
            click.echo(f"hint: the full reason is in {paths.failure_file}", err=True)
    sys.exit(result.exit_code)
