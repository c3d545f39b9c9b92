"""``tiffin package``: turn a saved model file into a package directory."""

from __future__ import annotations

from pathlib import Path

import click

from tiffin.cli.errors import handle_errors


@click.command(name="package")
@click.argument("model_file", type=click.Path(exists=True, dir_okay=False))
@click.argument("target_dir", type=click.Path(file_okay=False))
@click.option("--name", help="The model's name in URLs [default: TARGET_DIR's name].")
@click.option(
    "--requirement",
    "-r",
    "requirements",
    multiple=True,
    help="A pip requirement to add, e.g. 'pandas>=2' (repeatable); replaces a pin of that name.",
)
@click.option("--probabilities", is_flag=True, help="Also return class probabilities.")
@click.option("--overwrite", is_flag=True, help="Replace TARGET_DIR if it is not empty.")
@handle_errors
def package(
    model_file: str,
    target_dir: str,
    name: str | None,
    requirements: tuple[str, ...],
    probabilities: bool,
    overwrite: bool,
) -> None:
    """Package a saved model: MODEL_FILE (.joblib/.pkl, xgboost .json/.ubj, lightgbm .txt,
    TorchScript .pt/.pth, .keras, .onnx) becomes the package directory TARGET_DIR.

    \b
    Then:
      tiffin predict TARGET_DIR --data '[[...]]'
      tiffin serve TARGET_DIR
    """
    from tiffin.packaging.api import package as write_package
    from tiffin.packaging.files import read_model_file

    model = read_model_file(Path(model_file))
    written = write_package(model, target_dir, name=name, requirements=list(requirements),
                            probabilities=probabilities, overwrite=overwrite)  # fmt: skip
    click.echo(f"wrote {written.spec.name!r} ({written.framework}) to {target_dir}/")
    click.echo(f"\nnext: tiffin predict {target_dir} --data '[[...]]'")
    click.echo(f"      tiffin serve {target_dir}")
