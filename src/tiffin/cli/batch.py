"""``tiffin batch``: score files with the model, as a SageMaker batch transform would."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from tiffin.cli.errors import handle_errors

if TYPE_CHECKING:
    from tiffin.jobs.batch import BatchSummary

EPILOG = (
    "Rerun the same command after a crash or Ctrl-C to resume where it stopped. "
    "Exit status: 0 done, 2 bad spec, 3 model code or load failed, 4 a record failed "
    "(--on-error fail), 5 bad input, output or options, 8 the --model-uri cannot be fetched, "
    "130 interrupted."
)


@click.command(epilog=EPILOG)
@click.argument("path", default=".", type=click.Path(exists=True))
@click.option(
    "--input",
    "-i",
    "source",
    required=True,
    help="An input file, a directory of them, or a URI (file://, or any fsspec scheme).",
)
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory for <input>.out files (mirroring subdirectories).",
)
@click.option(
    "--content-type",
    help="Input type; from each file's suffix by default (.csv, .jsonl, .parquet).",
)
@click.option("--recursive", "-r", is_flag=True, help="Read input subdirectories too.")
@click.option(
    "--split-type",
    metavar="Line|None",
    default="Line",
    show_default=True,
    help="Line: one record per line/row; None: a whole file is one request.",
)
@click.option(
    "--batch-strategy",
    metavar="MultiRecord|SingleRecord",
    default="MultiRecord",
    show_default=True,
    help="Records per model call.",
)
@click.option(
    "--max-payload",
    default="6MB",
    show_default=True,
    help="Largest mini-batch (and record) in bytes, e.g. 6MB.",
)
@click.option(
    "--chunk-size",
    default="1MiB",
    show_default=True,
    help="Input bytes per unit of work; mini-batches never span two.",
)
@click.option(
    "--assemble-with",
    metavar="Line|None",
    default="Line",
    show_default=True,
    help="Line: one output line per record; None: responses back to back.",
)
@click.option(
    "--accept",
    default="application/jsonlines",
    show_default=True,
    help="Output format: application/jsonlines or text/csv.",
)
@click.option(
    "--join-source",
    metavar="None|Input",
    default="None",
    show_default=True,
    help="Input: write each input record with its prediction.",
)
@click.option(
    "--on-error",
    metavar="fail|skip|record",
    default="fail",
    show_default=True,
    help="fail: stop; skip: drop failing records; record: write them to <input>.errors.jsonl.",
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(min=1),
    help="Worker processes, each loading the model once [default: 1; on a cluster joined "
    "by --address: every Dask worker, or one Ray actor per free CPU].",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask", "ray"]),
    default="local",
    show_default=True,
    help="Where chunks run: a local process pool, a Dask cluster or Ray (each started "
    "here, or the cluster at --address).",
)
@click.option(
    "--address",
    help="The cluster to join instead of starting one: with dask a scheduler "
    "(tcp://host:8786) [$TIFFIN_DASK_ADDRESS]; with ray ray://head:10001, head:6379 or "
    "auto [$TIFFIN_RAY_ADDRESS, $RAY_ADDRESS].",
)
@click.option(
    "--model-uri",
    metavar="URI",
    help="Fetch the model (s3://, gs://, http(s)://, file:// or a path; a .tar.gz/.zip is "
    "extracted) into MODEL_DIR, else a cache dir, first [STORAGE_URI].",
)
@click.option("--restart", is_flag=True, help="Discard the job state in --output and start over.")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="BatchProgress bar [default: on a terminal only].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@handle_errors
def batch(
    path: str, source: str, output: str, as_json: bool, model_uri: str | None, **options: object
) -> None:
    """Score every record of --input with the model in PATH, into --output.

    PATH is a package directory, a tiffin.yaml, a pyproject.toml or a single .py file.
    A spec with `batch: module:function` is scored by that function instead.
    """  # fmt: skip
    from tiffin.codecs import dumps
    from tiffin.jobs.batch import run_batch
    from tiffin.spec import load_spec
    from tiffin.storage import prepare_model_dir

    prepare_model_dir(model_uri, defaults=load_spec(path).spec.environment)
    try:
        summary = run_batch(path, source, output, **options)  # type: ignore[arg-type]
    except KeyboardInterrupt:
        click.secho("interrupted: finished parts are kept; rerun the same command to resume",
                    fg="yellow", err=True)  # fmt: skip
        sys.exit(130)
    if as_json:
        click.echo(dumps(summary.to_dict()).decode())
    click.echo(_describe(summary), err=True)


def _describe(summary: BatchSummary) -> str:
    """One line saying what the job did."""
    line = (f"scored {summary.written:,} of {summary.records:,} records into "
            f"{summary.output}/ in {summary.elapsed:.2f} s "
            f"({summary.rows_per_second:,.0f} rows/s)")  # fmt: skip
    if summary.resumed:
        line += f"; {summary.resumed:,} were done by an earlier run"
    if summary.skipped:
        line += f"; skipped {summary.skipped:,} failing records"
    if summary.errors:
        line += f"; {summary.errors:,} failing records listed in *.errors.jsonl"
    return line
