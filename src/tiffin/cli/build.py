"""``tiffin build``: build a package's container image."""

from __future__ import annotations

import click

from tiffin.cli.errors import handle_errors

ENGINES_HELP = "docker, buildx, podman or buildah [TIFFIN_ENGINE, else the first installed]."
extra_option = click.option(
    "--extra",
    "extras",
    multiple=True,
    metavar="NAME",
    help="Also install this extra of tiffin in the image (repeatable), on top of the spec's "
    "tiffin_extras [grpc]: e.g. s3 to fetch STORAGE_URI=s3://...",
)
"""``--extra NAME``, of `tiffin build` and `tiffin dockerfile`."""


@click.command()
@click.argument("path", default=".", type=click.Path(exists=True))
@click.option("--tag", "-t", help="Image tag [NAME:VERSION from the spec].")
@click.option("--engine", help=ENGINES_HELP)
@click.option(
    "--hermetic/--no-hermetic",
    default=None,
    help="Resolve and download every wheel on the host and install with --no-index, so the "
    "build needs no network [default: hermetic].",
)
@click.option(
    "--base-image",
    help="Base image [TIFFIN_BASE_IMAGE, else base_image in the spec, else python:X.Y-slim].",
)
@click.option("--no-cache", is_flag=True, help="Rebuild every layer, reusing none.")
@extra_option
@handle_errors
def build(
    path: str,
    tag: str | None,
    engine: str | None,
    hermetic: bool | None,
    base_image: str | None,
    no_cache: bool,
    extras: tuple[str, ...],
) -> None:
    """Build the container image of the package in PATH.

    PATH is a package directory, a tiffin.yaml, a pyproject.toml, a single .py model
    file, a setuptools project or its sdist. The image serves by default and also runs
    `train` and `batch`: `docker run IMAGE train`. See docs/images.md.
    """
    from tiffin.build.builder import build_image

    built = build_image(
        path,
        tag=tag,
        engine=engine,
        hermetic=hermetic,
        base_image=base_image,
        no_cache=no_cache,
        extras=extras,
    )
    click.echo(f"tiffin: built {built.tag} with {built.engine} in {built.seconds:.1f}s", err=True)
    click.echo(
        f"tiffin: run it with `tiffin run {built.tag}` (add `train` or `batch` for the "
        "other modes)",
        err=True,
    )
    click.echo(built.tag)
