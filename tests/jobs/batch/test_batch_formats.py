"""`tiffin batch` over CSV, JSON lines, Parquet and directories, with SageMaker semantics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from batch_helpers import EXECUTE, PROBE, iris_rows, write_csv

from tiffin.jobs.batch import run_batch


def read_jsonl(path: Path) -> list[object]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def batch(package: Path, source: Path, output: Path, **options: object):
    return run_batch(package, source, output, progress=False, **options)


def test_csv_rows_reach_the_model_as_a_float_array_and_come_back_in_order(tmp_path):
    rows = iris_rows(500)
    source = write_csv(tmp_path / "in.csv", rows)
    summary = batch(PROBE, source, tmp_path / "out")
    results = read_jsonl(tmp_path / "out" / "in.csv.out")
    assert [r["echo"] for r in results] == rows.tolist()
    assert {r["kind"] for r in results} == {"ndarray:float64"}
    assert (summary.records, summary.written, summary.skipped) == (500, 500, 0)


def test_iris_predictions_equal_the_model_called_directly(tmp_path, iris_package, iris_reference):
    rows = iris_rows(3000)
    source = write_csv(tmp_path / "iris.csv", rows)
    batch(iris_package, source, tmp_path / "out", chunk_size="16KiB")
    written = np.loadtxt(tmp_path / "out" / "iris.csv.out", dtype=int)
    assert written.tolist() == iris_reference.predict(rows).tolist()


def test_multi_record_batches_respect_max_payload_and_single_record_sends_one(tmp_path):
    source = write_csv(tmp_path / "in.csv", np.full((1000, 4), 5.1))  # 16 bytes a line
    batch(PROBE, source, tmp_path / "multi", max_payload="1600B", chunk_size="64KiB")
    sizes = [r["batch"] for r in read_jsonl(tmp_path / "multi" / "in.csv.out")]
    assert max(sizes) == 100 and len(sizes) == 1000  # 1600 bytes hold exactly 100 lines
    batch(PROBE, source, tmp_path / "single", batch_strategy="SingleRecord")
    results = read_jsonl(tmp_path / "single" / "in.csv.out")
    assert {r["batch"] for r in results} == {1} and len(results) == 1000
    assert results[0]["kind"] == "ndarray:float64"  # one CSV line is still a 2-D array


def test_a_record_larger_than_max_payload_is_an_error(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"a": 1}\n{"text": "' + "x" * 500 + '"}\n')
    with pytest.raises(Exception, match=r"in.jsonl:2: the record is larger than max_payload"):
        batch(PROBE, source, tmp_path / "out", max_payload="100B", chunk_size="64B")
    for strategy in ("MultiRecord", "SingleRecord"):  # a record inside a chunk is checked too
        with pytest.raises(Exception, match=r"in.jsonl:2: the record is larger than"):
            batch(PROBE, source, tmp_path / strategy, max_payload="100B", batch_strategy=strategy)


def test_json_lines_reach_the_model_as_a_list_and_blank_lines_are_not_records(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"a": 1}\n\n[1, 2]\n"text"\r\n')
    batch(PROBE, source, tmp_path / "out")
    results = read_jsonl(tmp_path / "out" / "in.jsonl.out")
    assert [r["echo"] for r in results] == [{"a": 1}, [1, 2], "text"]
    assert results[0]["kind"] == "list:"


def test_parquet_rows_reach_the_model_as_an_array(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = iris_rows(2000)
    table = pa.table({name: rows[:, i] for i, name in enumerate("abcd")})
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=500)
    batch(PROBE, tmp_path / "in.parquet", tmp_path / "out", chunk_size="8KiB")
    results = read_jsonl(tmp_path / "out" / "in.parquet.out")
    assert [r["echo"] for r in results] == rows.tolist()
    assert results[0]["kind"] == "ndarray:float64"


def test_parquet_split_none_sends_the_whole_table(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"a": [1.0, 2.0, 3.0], "b": [4, 5, 6]}), tmp_path / "in.parquet")
    batch(PROBE, tmp_path / "in.parquet", tmp_path / "out", split_type="None")
    results = read_jsonl(tmp_path / "out" / "in.parquet.out")
    assert [r["echo"] for r in results] == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    assert {r["batch"] for r in results} == {3}


def test_parquet_join_keeps_column_names(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"x": [1.0, 2.0], "name": ["a", "b"]}), tmp_path / "in.parquet")
    batch(EXECUTE, tmp_path / "in.parquet", tmp_path / "out", join_source="Input")
    assert read_jsonl(tmp_path / "out" / "in.parquet.out") == [
        {"x": 1.0, "name": "a", "SageMakerOutput": 101.0},
        {"x": 2.0, "name": "b", "SageMakerOutput": 102.0},
    ]


def test_a_directory_gives_one_out_file_per_input_mirroring_subdirectories(tmp_path):
    inputs = tmp_path / "in"
    (inputs / "sub").mkdir(parents=True)
    write_csv(inputs / "a.csv", iris_rows(10))
    (inputs / "b.jsonl").write_text('{"x": 1}\n')
    write_csv(inputs / "sub" / "c.csv", iris_rows(5))
    (inputs / "notes.txt").write_text("not an input\n")
    summary = batch(PROBE, inputs, tmp_path / "flat")
    assert sorted(p.name for p in (tmp_path / "flat").iterdir()) == [
        ".tiffin-batch", "a.csv.out", "b.jsonl.out",
    ]  # fmt: skip
    assert summary.records == 11
    summary = batch(PROBE, f"file://{inputs}", tmp_path / "deep", recursive=True)
    assert len(read_jsonl(tmp_path / "deep" / "sub" / "c.csv.out")) == 5
    assert summary.records == 16


def test_split_none_sends_each_file_whole(tmp_path):
    source = write_csv(tmp_path / "in.csv", iris_rows(40))
    batch(PROBE, source, tmp_path / "out", split_type="None")
    results = read_jsonl(tmp_path / "out" / "in.csv.out")
    assert len(results) == 40 and {r["batch"] for r in results} == {40}


def test_split_none_refuses_a_file_over_max_payload(tmp_path):
    source = write_csv(tmp_path / "in.csv", iris_rows(100))
    with pytest.raises(Exception, match="larger than max_payload"):
        batch(PROBE, source, tmp_path / "out", split_type="None", max_payload="1KB")


def test_assemble_with_none_concatenates_responses_as_encoded(tmp_path):
    source = write_csv(tmp_path / "in.csv", iris_rows(30))
    batch(EXECUTE, source, tmp_path / "out", assemble_with="None", accept="application/json",
          max_payload="160B")  # fmt: skip
    body = (tmp_path / "out" / "in.csv.out").read_text()
    assert body.count("][") == 2 and "\n" not in body  # three responses of 10 records


def test_accept_csv_and_join_csv_input(tmp_path):
    rows = [[1.0, 2.0], [3.0, 4.5]]
    source = write_csv(tmp_path / "in.csv", np.array(rows))
    batch(EXECUTE, source, tmp_path / "plain", accept="text/csv")
    assert (tmp_path / "plain" / "in.csv.out").read_text() == "103.0\n107.5\n"
    batch(EXECUTE, source, tmp_path / "joined", accept="text/csv", join_source="Input")
    assert (tmp_path / "joined" / "in.csv.out").read_text() == "1.0,2.0,103.0\n3.0,4.5,107.5\n"
    batch(EXECUTE, source, tmp_path / "json", join_source="Input")
    assert read_jsonl(tmp_path / "json" / "in.csv.out")[1] == {
        "SageMakerInput": [3.0, 4.5], "SageMakerOutput": 107.5,
    }  # fmt: skip


def test_join_json_lines_puts_the_prediction_under_sagemaker_output(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"a": 1, "b": 2}\n[5]\n')
    batch(EXECUTE, source, tmp_path / "out", join_source="Input")
    assert read_jsonl(tmp_path / "out" / "in.jsonl.out") == [
        {"a": 1, "b": 2, "SageMakerOutput": 103},
        {"SageMakerInput": [5], "SageMakerOutput": 105},
    ]
    batch(EXECUTE, source, tmp_path / "csv", join_source="Input", accept="text/csv")
    assert (tmp_path / "csv" / "in.jsonl.out").read_text() == "1,2,103\n5,105\n"


def test_the_execute_function_receives_plain_records(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"v": i, "w": 0.5}) + "\n" for i in range(50)))
    batch(EXECUTE, source, tmp_path / "out")
    assert read_jsonl(tmp_path / "out" / "in.jsonl.out") == [i + 100.5 for i in range(50)]


def test_non_numeric_csv_reaches_the_model_as_strings(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text('a,1\n"b,c",2\n')
    batch(PROBE, source, tmp_path / "out")
    results = read_jsonl(tmp_path / "out" / "in.csv.out")
    assert [r["echo"] for r in results] == [["a", "1"], ["b,c", "2"]]
    assert results[0]["kind"] == "ndarray:object"


def test_fsspec_uris_are_read_when_fsspec_is_installed(tmp_path):
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    fs.pipe("/batch-test/in.jsonl", b'{"a": 1}\n{"a": 2}\n')
    batch(EXECUTE, "memory://batch-test", tmp_path / "out")
    assert read_jsonl(tmp_path / "out" / "in.jsonl.out") == [101, 102]
