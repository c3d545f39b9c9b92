"""``tiffin init``: write a new model package that serves as it is."""

from __future__ import annotations

import re
from pathlib import Path

import click

from tiffin.cli.errors import handle_errors
from tiffin.project import write_new_package


@click.command()
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    help="Where to write the package [default: ./NAME].",
)
@click.option("--force", is_flag=True, help="Write into a directory that is not empty.")
@handle_errors
def init(name: str, directory: str | None, force: bool) -> None:
    """Write a working model package NAME: model class, tiffin.yaml, requirements, a test.

    \b
    Then:
      cd NAME && tiffin serve .
    """
    target = Path(directory or re.sub(r"[^A-Za-z0-9._-]", "-", name))
    written = write_new_package(name, target, force=force)
    click.echo(f"wrote {len(written)} files to {target}/")
    for path in written:
        click.echo(f"  {path.relative_to(target)}")
    click.echo(
        f"\nnext: tiffin serve {target}   (or: tiffin predict {target} --data '[[1, 2, 3, 4]]')"
    )
