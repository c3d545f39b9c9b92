"""``tiffin dockerfile``: render a package's build context without building it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from tiffin.cli.build import extra_option
from tiffin.cli.errors import handle_errors


@click.command()
@click.argument("path", default=".", type=click.Path(exists=True))
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False),
    help="Write the whole build context (wheels included) into this new directory instead "
    "of printing the Dockerfiles; its build.sh then builds it.",
)
@click.option(
    "--hermetic/--no-hermetic",
    default=True,
    show_default=True,
    help="Put every wheel into the context (with --output).",
)
@click.option("--base-image", help="Base image [TIFFIN_BASE_IMAGE, base_image, python:X.Y-slim].")
@extra_option
@handle_errors
def dockerfile(
    path: str, output: str | None, hermetic: bool, base_image: str | None, extras: tuple[str, ...]
) -> None:
    """Print the two Dockerfiles tiffin renders for PATH, or write its whole build context.

    The first builds the dependencies image (system packages, requirements, tiffin), the
    second the package's image FROM it. See docs/images.md.
    """
    from tiffin.build.builder import cache_dir, plan_for
    from tiffin.build.context import DEPENDENCIES, IMAGE, prepare_context, write_context
    from tiffin.build.plan import BuildOptions
    from tiffin.build.selfwheel import installed

    if output is not None and Path(output).exists() and any(Path(output).iterdir()):
        raise click.BadParameter(f"{output} is not empty", param_hint="--output")
    options = BuildOptions(base_image=base_image, hermetic=hermetic, extras=extras)
    with tempfile.TemporaryDirectory(prefix="tiffin-dockerfile-") as tmp:
        plan = plan_for(path, options, workdir=Path(tmp))
        for note in plan.notes:
            _say(note)
        if output is None:
            context = Path(tmp) / "context"
            write_context(plan, context, installed().own)
            for directory in (DEPENDENCIES, IMAGE):
                click.echo(f"# ---- {directory}/Dockerfile ----")
                click.echo((context / directory / "Dockerfile").read_text(), nl=False)
            return
        prepare_context(plan, Path(output), cache_dir(), say=_say)
    click.echo(
        f"tiffin: wrote the build context of {plan.tag} to {output}; "
        f"`{Path(output) / 'build.sh'}` builds it",
        err=True,
    )


def _say(message: str) -> None:
    click.echo(f"tiffin: {message}", err=True)
