"""Entry point of the ``tiffin`` command."""

from __future__ import annotations

import click

from tiffin.cli.batch import batch
from tiffin.cli.build import build
from tiffin.cli.configure import configure
from tiffin.cli.dockerfile import dockerfile
from tiffin.cli.init import init
from tiffin.cli.kserve import kserve
from tiffin.cli.metrics_sink import metrics_sink
from tiffin.cli.package import package
from tiffin.cli.predict import predict
from tiffin.cli.push import push
from tiffin.cli.run import run
from tiffin.cli.sagemaker import sagemaker
from tiffin.cli.serve import serve
from tiffin.cli.train import train
from tiffin.version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tiffin")
def cli() -> None:
    """Take a machine-learning model from a notebook to production.

    \b
    Start here:
      tiffin init iris          write a working model package
      tiffin serve iris         serve it over every protocol on :8080
      tiffin predict iris --data '[[5.1, 3.5, 1.4, 0.2]]'
      tiffin package model.joblib iris_pkg   package a saved model
    """


cli.add_command(init)
cli.add_command(serve)
cli.add_command(predict)
cli.add_command(package)
cli.add_command(train)
cli.add_command(batch)
cli.add_command(build)
cli.add_command(dockerfile)
cli.add_command(run)
cli.add_command(push)
cli.add_command(sagemaker)
cli.add_command(kserve)
cli.add_command(configure)
cli.add_command(metrics_sink)


def main() -> None:
    """Run the CLI."""
    cli()
