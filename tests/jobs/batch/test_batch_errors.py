"""Error policies (`--on-error fail|skip|record`) and bad input.

The tests taking the ``engine`` fixture run on every engine: the local pool, Dask, Ray.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from batch_helpers import CRASH, MISCOUNT, PROBE, iris_rows, write_csv

from tiffin.errors import (
    BatchError,
    BatchInputError,
    ContractError,
    OutputConflict,
    RecordFailed,
    SpecError,
)
from tiffin.jobs.batch import run_batch


def batch(package: Path, source: Path, output: Path, **options: object):
    return run_batch(package, source, output, progress=False, **options)


def csv_with_bad_rows(path: Path, count: int, bad: list[int]) -> np.ndarray:
    """Rows whose first field is -1 (the probe model raises on them) at 1-based lines ``bad``."""
    rows = iris_rows(count)
    for line in bad:
        rows[line - 1, 0] = -1
    write_csv(path, rows)
    return rows


def test_fail_stops_naming_file_and_line_and_keeps_finished_parts(tmp_path, tiffin_batch, engine):
    csv_with_bad_rows(tmp_path / "in.csv", 3000, bad=[2500])
    args = (PROBE, "--input", "in.csv", "--output", "out", "--chunk-size", "4KiB", *engine.args())
    result = tiffin_batch(*args)
    assert result.returncode == 4, result.stderr
    assert "in.csv:2500: predict raised ValueError: cannot score [-1.0" in result.stderr
    assert not (tmp_path / "out" / "in.csv.out").exists()
    parts = list((tmp_path / "out" / ".tiffin-batch" / "parts").glob("*/*.part"))
    assert len(parts) >= 5  # the chunks before the failing one were committed
    again = tiffin_batch(*args)  # a rerun resumes: the same record fails again
    assert again.returncode == 4 and "in.csv:2500:" in again.stderr


def test_skip_drops_failing_records_and_scores_their_batch_mates(tmp_path, engine):
    rows = csv_with_bad_rows(tmp_path / "in.csv", 1000, bad=[10, 11, 700])
    summary = batch(PROBE, tmp_path / "in.csv", tmp_path / "out", on_error="skip",
                    chunk_size="4KiB", **engine.options())  # fmt: skip
    echoed = [json.loads(line)["echo"] for line in (tmp_path / "out" / "in.csv.out").open()]
    assert echoed == np.delete(rows, [9, 10, 699], axis=0).tolist()
    assert (summary.records, summary.written, summary.skipped) == (1000, 997, 3)
    assert not (tmp_path / "out" / "in.csv.errors.jsonl").exists()


def test_record_writes_errors_beside_the_output_and_keeps_rows_aligned(tmp_path, engine):
    csv_with_bad_rows(tmp_path / "in.csv", 400, bad=[3, 300])
    summary = batch(PROBE, tmp_path / "in.csv", tmp_path / "out", on_error="record",
                    chunk_size="1KiB", **engine.options())  # fmt: skip
    lines = (tmp_path / "out" / "in.csv.out").read_text().splitlines()
    assert len(lines) == 400 and lines[2] == "null" and lines[299] == "null"
    errors = [json.loads(line) for line in (tmp_path / "out" / "in.csv.errors.jsonl").open()]
    assert [(e["record"], e["line"]) for e in errors] == [(2, 3), (299, 300)]
    assert errors[0]["error"].startswith("predict raised ValueError: cannot score [-1.0")
    assert (summary.written, summary.errors) == (398, 2)


WORKER_DIED = {
    "local": "a worker process died without a word",
    "dask": "a Dask worker failed",
    "ray": "a Ray worker failed on the chunk at in.csv:2296: ActorDiedError",
}


def test_a_worker_that_dies_stops_the_job_saying_so_and_keeps_finished_parts(tmp_path, engine):
    rows = iris_rows(3000)
    rows[2500, 0] = -2  # the crash model ends its process on this row (chunk of line 2296)
    write_csv(tmp_path / "in.csv", rows)
    with pytest.raises(BatchError) as caught:
        batch(CRASH, tmp_path / "in.csv", tmp_path / "out", chunk_size="4KiB", **engine.options())
    assert WORKER_DIED[engine.name] in caught.value.message
    assert "rerun the same command to resume" in (caught.value.hint or "")
    assert list((tmp_path / "out" / ".tiffin-batch" / "parts").glob("*/*.part"))


def test_record_with_csv_output_writes_an_empty_line(tmp_path):
    csv_with_bad_rows(tmp_path / "in.csv", 5, bad=[2])
    batch(PROBE, tmp_path / "in.csv", tmp_path / "out", on_error="record", accept="text/csv")
    lines = (tmp_path / "out" / "in.csv.out").read_text().split("\n")
    assert len(lines) == 6 and lines[1] == ""


def test_a_ragged_csv_row_names_file_and_line_or_follows_the_policy(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("1,2,3,4\n5,6,7,8\n9,10,11\n12,13,14,15\n")
    with pytest.raises(RecordFailed, match=r"in.csv:3: has 3 fields, expected 4"):
        batch(PROBE, source, tmp_path / "fail")
    summary = batch(PROBE, source, tmp_path / "skip", on_error="skip")
    assert summary.skipped == 1 and summary.written == 3
    batch(PROBE, source, tmp_path / "record", on_error="record")
    error = json.loads((tmp_path / "record" / "in.csv.errors.jsonl").read_text())
    assert error == {"record": 2, "line": 3, "error": "has 3 fields, expected 4 as on the "
                     "file's first line"}  # fmt: skip


def test_a_malformed_json_line_names_file_and_line(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"a": 1}\n{"a": \n{"a": 3}\n')
    with pytest.raises(RecordFailed, match=r"in.jsonl:2: malformed JSON"):
        batch(PROBE, source, tmp_path / "out")
    summary = batch(PROBE, source, tmp_path / "skip", on_error="skip")
    assert (summary.written, summary.skipped) == (2, 1)


def test_columns_that_do_not_match_the_model_surface_its_error_with_context(
    tmp_path, iris_package, tiffin_batch
):
    write_csv(tmp_path / "three.csv", iris_rows(50)[:, :3])
    result = tiffin_batch(iris_package, "-i", "three.csv", "-o", "out")
    assert result.returncode == 4
    assert "three.csv:1: predict raised ValueError: X has 3 features" in result.stderr


def test_a_result_count_that_does_not_match_the_records_is_an_error(tmp_path, tiffin_batch):
    write_csv(tmp_path / "in.csv", iris_rows(10))
    result = tiffin_batch(MISCOUNT, "-i", "in.csv", "-o", "out", "--on-error", "skip")
    assert result.returncode == 5
    assert "in.csv: the model returned 9 results for 10 records" in result.stderr


def test_a_missing_input_is_an_error(tmp_path, tiffin_batch):
    result = tiffin_batch(PROBE, "--input", "nope.csv", "--output", "out")
    assert result.returncode == 5
    assert "error: input nope.csv does not exist" in result.stderr


def test_unknown_suffixes_and_schemes_are_explained(tmp_path):
    (tmp_path / "data.txt").write_text("1,2\n")
    with pytest.raises(BatchInputError, match="cannot tell the content type of"):
        batch(PROBE, tmp_path / "data.txt", tmp_path / "out")
    with pytest.raises(BatchInputError, match=r"cannot read nosuch://bucket/x\.csv") as caught:
        batch(PROBE, "nosuch://bucket/x.csv", tmp_path / "out")
    assert "fsspec" in (caught.value.hint or "")


def test_an_output_dir_of_another_job_is_refused_naming_its_manifest(tmp_path, tiffin_batch):
    write_csv(tmp_path / "a.csv", iris_rows(20))
    first = tiffin_batch(PROBE, "-i", "a.csv", "-o", "out", "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["records"], summary["written"], summary["resumed"]) == (20, 20, 0)
    assert summary["outputs"] == [str(Path("out") / "a.csv.out")]
    again = tiffin_batch(PROBE, "-i", "a.csv", "-o", "out")
    assert again.returncode == 0 and "20 were done by an earlier run" in again.stderr
    other = tiffin_batch(PROBE, "-i", "a.csv", "-o", "out", "--accept", "text/csv")
    assert other.returncode == 5
    manifest = Path("out") / ".tiffin-batch" / "manifest.json"
    assert f"error: {manifest} belongs to a different batch job (it ran with accept=" in (
        other.stderr
    )
    assert "--restart" in other.stderr
    restarted = tiffin_batch(PROBE, "-i", "a.csv", "-o", "out", "--accept", "text/csv",
                             "--restart")  # fmt: skip
    assert restarted.returncode == 0, restarted.stderr


def test_a_changed_input_is_a_different_job(tmp_path):
    source = write_csv(tmp_path / "a.csv", iris_rows(20))
    batch(PROBE, source, tmp_path / "out")
    write_csv(source, iris_rows(21))
    with pytest.raises(OutputConflict, match=r"input a.csv changed \(size\)"):
        batch(PROBE, source, tmp_path / "out")


def test_outputs_not_written_by_a_batch_job_are_not_overwritten(tmp_path):
    source = write_csv(tmp_path / "a.csv", iris_rows(5))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.csv.out").write_text("precious\n")
    with pytest.raises(BatchError, match="exists and no batch manifest"):
        batch(PROBE, source, tmp_path / "out")
    assert (tmp_path / "out" / "a.csv.out").read_text() == "precious\n"


def test_options_that_cannot_work_together_are_refused(tmp_path):
    """The Python API names the settings as its keywords."""
    source = write_csv(tmp_path / "a.csv", iris_rows(5))
    with pytest.raises(BatchError, match="need split_type Line and assemble_with Line"):
        batch(PROBE, source, tmp_path / "out", split_type="None", join_source="Input")
    with pytest.raises(BatchError, match="batch_strategy 'Many' is not one of"):
        batch(PROBE, source, tmp_path / "out", batch_strategy="Many")
    with pytest.raises(BatchError, match="cannot be written one record per line"):
        batch(PROBE, source, tmp_path / "out", accept="application/json")
    with pytest.raises(BatchError, match="unknown batch option 'worker'"):
        batch(PROBE, source, tmp_path / "out", worker=2)
    with pytest.raises(BatchError, match=r"^workers must be at least 1, not 0$"):
        batch(PROBE, source, tmp_path / "out", workers=0)


def test_the_command_line_names_the_same_settings_as_flags(tmp_path, tiffin_batch):
    write_csv(tmp_path / "a.csv", iris_rows(5))
    result = tiffin_batch(PROBE, "-i", "a.csv", "-o", "out", "--split-type", "None",
                          "--join-source", "Input")  # fmt: skip
    assert result.returncode == 5
    assert (
        "error: --join-source Input and --on-error record work record by record: they "
        "need --split-type Line and --assemble-with Line" in result.stderr
    )
    result = tiffin_batch(PROBE, "-i", "a.csv", "-o", "out", "--max-payload", "0")
    assert "error: --max-payload and --chunk-size must be positive sizes" in result.stderr


def test_a_model_that_fails_to_load_stops_the_job_with_its_reason(tmp_path, tiffin_batch, engine):
    from servers import FIXTURES

    write_csv(tmp_path / "in.csv", iris_rows(5))
    broken = FIXTURES / "single_file" / "broken_load.py"  # a package of one file
    result = tiffin_batch(broken, "-i", "in.csv", "-o", "out", *engine.args())
    assert result.returncode == 3
    assert (
        "model 'broken_load' failed to load: FileNotFoundError: model/weights.bin is missing"
        in result.stderr
    )


SPEC_ERROR_AT_LOAD = (
    "from tiffin.errors import SpecError\n"
    "class Strict:\n"
    "    def load(self):\n"
    "        raise SpecError('threshold must be set in tiffin.yaml', key='config.threshold',\n"
    "                        hint='add config: {threshold: 0.5}')\n"
    "    def predict(self, rows):\n"
    "        return rows\n"
)


def test_an_error_raised_in_a_worker_keeps_its_class_and_exit_code(tmp_path, tiffin_batch, engine):
    """A spec error in a worker process is still a spec error (exit 2), not a batch error."""
    package = tmp_path / "strict"
    package.mkdir()
    (package / "tiffin.yaml").write_text("name: strict\nmodel: strict_model:Strict\n")
    (package / "strict_model.py").write_text(SPEC_ERROR_AT_LOAD)
    write_csv(tmp_path / "in.csv", iris_rows(5))
    result = tiffin_batch(package, "-i", "in.csv", "-o", "out", *engine.args())
    assert result.returncode == 2, result.stderr
    assert "error: threshold must be set in tiffin.yaml" in result.stderr
    assert "hint: add config: {threshold: 0.5}" in result.stderr


@pytest.mark.parametrize(
    "error",
    [
        BatchInputError("unreadable"),
        OutputConflict("manifest.json", "another input"),
        ContractError("no predict"),
        SpecError("bad key", hint="fix it"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_failures_cross_the_process_boundary_as_the_same_class(error) -> None:
    from tiffin.cli.errors import exit_code_for
    from tiffin.jobs.batch.messages import Failure

    back = Failure.of(error).to_error("in.csv")
    assert type(back) is type(error)
    assert error.message in back.message
    assert back.hint == error.hint
    assert exit_code_for(back) == exit_code_for(error)
