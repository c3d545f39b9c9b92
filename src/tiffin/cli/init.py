"""``tiffin init``: write a new model package that serves as it is."""

from __future__ import annotations

import re
from pathlib import Path

import click

from tiffin.cli.errors import handle_errors
from tiffin.new_package import TEMPLATES, package_name_for, write_new_package

NEXT_STEPS = {
    "basic": "tiffin serve {dir}   (or: tiffin predict {dir} --data '[[1, 2, 3, 4]]')",
    "sagemaker": "cd {dir} && tiffin train . --channel train=sample_data/train && "
    "tiffin serve .\n      then follow {dir}/README.md to SageMaker",
    "kserve": "cd {dir} && python -m {package}.trainer && tiffin serve .\n"
    "      then follow {dir}/README.md to KServe",
}


@click.command()
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    help="Where to write the package [default: ./NAME].",
)
@click.option(
    "--template",
    "-t",
    type=click.Choice(TEMPLATES),
    default="basic",
    show_default=True,
    help="basic: a model class and its weights. sagemaker: train.py and serve.py to fill, "
    "sample data, and a README from local training to a SageMaker endpoint. kserve: a "
    "package with trainer/ and inferencer/ modules, example data and trained weights, and "
    "a README from training to a KServe InferenceService.",
)
@click.option("--force", is_flag=True, help="Write into a directory that is not empty.")
@handle_errors
def init(name: str, directory: str | None, template: str, force: bool) -> None:
    """Write a working model package NAME: model class, tiffin.yaml, requirements, a test.

    \b
    Then:
      cd NAME && tiffin serve .
    \b
    Or, for a project that trains and deploys on SageMaker:
      tiffin init churn --template sagemaker
    \b
    Or, for a trainer/inferencer package served on KServe:
      tiffin init flowers --template kserve
    """
    target = Path(directory or re.sub(r"[^A-Za-z0-9._-]", "-", name))
    written = write_new_package(name, target, template=template, force=force)
    click.echo(f"wrote {len(written)} files to {target}/")
    for path in written:
        click.echo(f"  {path.relative_to(target)}")
    steps = NEXT_STEPS[template].format(dir=target, package=package_name_for(name))
    click.echo(f"\nnext: {steps}")
