"""application/jsonlines codec."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tiffin.codecs import decoder_for, encoder_for
from tiffin.errors import InvalidInput

JSONL = decoder_for("application/jsonlines")


def test_aliases_share_one_codec() -> None:
    assert decoder_for("application/x-jsonlines") is JSONL
    assert decoder_for("application/jsonl") is JSONL
    assert encoder_for("application/jsonl") is JSONL


def test_decode() -> None:
    body = b'{"a": 1}\r\n\n[1, 2]\n"x"\n'
    assert JSONL.decode(body) == [{"a": 1}, [1, 2], "x"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a": 1}\n{"a": \n', "malformed JSON on line 2: "),
        (b"\n\n[1]\nnope", "malformed JSON on line 4: "),
        (b"", "empty request body; expected JSON lines"),
        (b"\n \n", "empty request body; expected JSON lines"),
    ],
)
def test_decode_errors(body: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        JSONL.decode(body)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([{"a": 1}, {"a": 2}], b'{"a":1}\n{"a":2}\n'),
        (np.array([[1, 2], [3, 4]]), b"[1,2]\n[3,4]\n"),
        (np.array([0.5, 1.5]), b"0.5\n1.5\n"),
        (pd.DataFrame({"a": [1, 2]}), b'{"a":1}\n{"a":2}\n'),
        (pd.Series(["x", "y"]), b'"x"\n"y"\n'),
        ({"a": 1}, b'{"a":1}\n'),
        (np.array(3), b"3\n"),
        ([], b""),
    ],
)
def test_encode(value: object, expected: bytes) -> None:
    assert JSONL.encode(value) == expected


def test_round_trip() -> None:
    records = [{"x": [1.5, 2.0], "y": "a"}, {"x": [], "y": None}]
    assert JSONL.decode(JSONL.encode(records)) == records
