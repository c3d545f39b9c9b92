"""text/csv codec."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tiffin.codecs import decoder_for
from tiffin.errors import InvalidInput

CSV = decoder_for("text/csv")


def test_decode_numbers() -> None:
    array = CSV.decode(b"1.5,16.0,14,23.0\n2,3,4,5\n")
    assert array.dtype == np.float64
    np.testing.assert_array_equal(array, [[1.5, 16.0, 14, 23.0], [2, 3, 4, 5]])


@pytest.mark.parametrize(
    "body", [b"1,2\r\n3,4\r\n", b"1,2\n3,4", b"1,2\n\n3,4\n\n", b"\xef\xbb\xbf1,2\n3,4"]
)
def test_decode_line_endings_and_blank_lines(body: bytes) -> None:
    np.testing.assert_array_equal(CSV.decode(body), [[1, 2], [3, 4]])


def test_decode_single_column_is_2d() -> None:
    assert CSV.decode(b"1\n2\n3\n").shape == (3, 1)


def test_decode_strings() -> None:
    array = CSV.decode(b"a,1\nb,2\n")
    assert array.dtype == object
    assert array.tolist() == [["a", "1"], ["b", "2"]]


def test_decode_quoted_fields() -> None:
    array = CSV.decode(b'"hello, world",1\n"say ""hi""",2\n')
    assert array.tolist() == [["hello, world", "1"], ['say "hi"', "2"]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"1,2,3,4\n5,6,7,8\n1,2\n", "row 3 has 2 fields, expected 4"),
        (b"1,2\n3\n", "row 2 has 1 field, expected 2"),
        (b'"a",1\n"b"\n', "row 2 has 1 field, expected 2"),
        (b"", "empty request body; expected CSV"),
        (b"\n\r\n", "empty request body; expected CSV"),
        (b"\xff,1", "CSV body is not valid UTF-8"),
    ],
)
def test_decode_errors(body: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        CSV.decode(body)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.array([1.5, 2.0]), b"1.5\n2.0\n"),
        (np.array([[1, 2], [3, 4]]), b"1,2\n3,4\n"),
        ([[1, "a,b"], [2, "c"]], b'1,"a,b"\n2,c\n'),
        ([1, 2], b"1\n2\n"),
        (7, b"7\n"),
        (np.float64(0.1), b"0.1\n"),
        (np.array(3), b"3\n"),
        (pd.DataFrame({"a": [1, 2], "b": [3, 4]}), b"1,3\n2,4\n"),
        (pd.Series([5, 6]), b"5\n6\n"),
    ],
)
def test_encode(value: object, expected: bytes) -> None:
    assert CSV.encode(value) == expected


def test_round_trip() -> None:
    array = np.random.default_rng(0).random((4, 3))
    np.testing.assert_array_equal(CSV.decode(CSV.encode(array)), array)


def test_encode_3d_raises() -> None:
    with pytest.raises(ValueError, match="3-D array"):
        CSV.encode(np.zeros((2, 2, 2)))
