"""``tiffin predict``: run the model's pipeline once, in this process, without a server."""

from __future__ import annotations

import mimetypes
import sys
from pathlib import Path

import click

from tiffin.cli.errors import handle_errors
from tiffin.errors import InvalidInput

BINARY_MEDIA_TYPES = {"application/x-npy", "application/x-msgpack"}


@click.command()
@click.argument("path", default=".", type=click.Path(exists=True))
@click.option("--data", "-d", help="The input as JSON text, e.g. '[[5.1, 3.5, 1.4, 0.2]]'.")
@click.option(
    "--file",
    "-f",
    "file",
    type=click.Path(exists=True, dir_okay=False),
    help="Read the input from a file (.json, .csv, .npy, .jsonl, .msgpack).",
)
@click.option("--content-type", help="How to decode --file; guessed from its suffix by default.")
@click.option(
    "--accept", default="application/json", show_default=True, help="How to encode the result."
)
@handle_errors
def predict(
    path: str, data: str | None, file: str | None, content_type: str | None, accept: str
) -> None:
    """Run preprocess -> predict -> postprocess on one input, exactly as the server would.

    PATH is a package directory, a tiffin.yaml, a pyproject.toml or a single .py file.
    """
    from tiffin.codecs import decoder_for, encode_result, encoder_for, media_type_of_file
    from tiffin.model.loader import load

    if (data is None) == (file is None):
        raise InvalidInput("give exactly one of --data or --file",
                           hint="tiffin predict PATH --data '[[5.1, 3.5, 1.4, 0.2]]'")  # fmt: skip
    encoder = encoder_for(accept)
    if data is not None:
        body, media = data.encode(), content_type or "application/json"
    else:
        source = Path(file)  # type: ignore[arg-type]
        body = source.read_bytes()
        media = (
            content_type
            or media_type_of_file(source.name)
            or (mimetypes.guess_type(source.name)[0] or "application/json")
        )
    payload = decoder_for(media).decode(body)
    result = load(path).predict(payload)
    output = encode_result(encoder, result)
    if encoder.media_type in BINARY_MEDIA_TYPES:
        sys.stdout.buffer.write(output)
        sys.stdout.buffer.flush()
    else:
        click.echo(output.decode("utf-8").rstrip("\n"))
