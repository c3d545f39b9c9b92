"""A million rows through the iris model: streamed in bounded memory, same answers in parallel."""

from __future__ import annotations

import numpy as np
from batch_helpers import peak_rss_mib

MIB = 1024 * 1024


def test_a_million_rows_stream_in_flat_memory(big_csv, iris_package, iris_reference, tmp_path):
    small, status = peak_rss_mib(iris_package, "-i", big_csv[200_000], "-o", tmp_path / "small")
    assert status == 0
    big, status = peak_rss_mib(iris_package, "-i", big_csv[1_000_000], "-o", tmp_path / "big")
    assert status == 0
    extra_text = (big_csv[1_000_000].stat().st_size - big_csv[200_000].stat().st_size) / MIB
    # 800,000 more rows are 12.8 MiB more text and 24 MiB more as a float64 array: reading
    # the file whole would grow the peak by at least that much. Streaming holds a few 1 MiB
    # chunks at a time whatever the input size (200k rows are only 3 chunks, so the peak is
    # not quite reached there; a 3M-row run peaks no higher than a 1M-row one).
    assert big - small < 10, f"peak RSS grew from {small:.0f} MiB to {big:.0f} MiB"
    assert extra_text > 12
    assert big < 400, f"peak RSS {big:.0f} MiB"
    written = np.loadtxt(tmp_path / "big" / "iris-1m.csv.out", dtype=np.int64)
    expected = iris_reference.predict(np.loadtxt(big_csv[1_000_000], delimiter=","))
    assert len(written) == 1_000_000 and np.array_equal(written, expected)


def test_two_workers_write_the_same_bytes_as_one(big_csv, iris_package, tiffin_batch, tmp_path):
    source = big_csv[200_000]
    one = tiffin_batch(iris_package, "-i", source, "-o", "one")
    two = tiffin_batch(iris_package, "-i", source, "-o", "two", "--workers", "2")
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    out = "iris-200k.csv.out"
    assert (tmp_path / "two" / out).read_bytes() == (tmp_path / "one" / out).read_bytes()
