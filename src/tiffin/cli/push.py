"""``tiffin push``: push an image to a registry."""

from __future__ import annotations

import click

from tiffin.cli.errors import handle_errors


@click.command()
@click.argument("image")
@click.argument("destination", metavar="REGISTRY[/REPO][:TAG]")
@click.option("--engine", help="docker, buildx, podman or buildah [TIFFIN_ENGINE, else installed].")
@click.option(
    "--tls-verify/--no-tls-verify",
    default=True,
    show_default=True,
    help="Check the registry's TLS certificate; --no-tls-verify for a local registry over http "
    "(podman and buildah; docker decides by its insecure-registries setting).",
)
@handle_errors
def push(image: str, destination: str, engine: str | None, tls_verify: bool) -> None:
    """Push IMAGE to a registry; REPO and TAG default to the image's own.

    \b
      tiffin push iris:1 127.0.0.1:5000 --no-tls-verify      -> 127.0.0.1:5000/iris:1
      tiffin push iris:1 registry.example.com/team/iris:prod
    """
    from tiffin.build.engines import select_engine
    from tiffin.build.push import push_image

    chosen = select_engine(engine)
    pushed = push_image(chosen, image, destination, tls_verify=tls_verify)
    click.echo(f"tiffin: pushed {image} to {pushed} with {chosen.name}", err=True)
    click.echo(pushed)
