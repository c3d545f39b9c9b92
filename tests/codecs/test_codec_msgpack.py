"""application/x-msgpack codec with numpy support (msgpack-numpy wire convention)."""

from __future__ import annotations

import msgpack
import numpy as np
import pandas as pd
import pytest

from tiffin.codecs import decoder_for, encoder_for
from tiffin.errors import InvalidInput

MSGPACK = decoder_for("application/x-msgpack")


@pytest.mark.parametrize(
    "array",
    [
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.arange(4, dtype=np.int64),
        np.arange(8, dtype=np.uint8).reshape(2, 2, 2),
        np.array([True, False, True]),
        np.array(3.25, dtype=np.float64),
        np.array(7, dtype=np.int64),
        np.arange(24, dtype=np.float32).reshape(2, 3, 4),
        np.arange(24, dtype=np.int64).reshape(2, 3, 4)[:, ::2, 1:],
        np.zeros((0, 3), dtype=np.float16),
        np.array([1, 2], dtype=">i4"),
        np.array(["ab", "c"]),
    ],
)
def test_array_round_trip_keeps_dtype_and_shape(array: np.ndarray) -> None:
    out = MSGPACK.decode(MSGPACK.encode({"x": array}))["x"]
    assert isinstance(out, np.ndarray)
    assert out.dtype == array.dtype
    assert out.shape == array.shape
    np.testing.assert_array_equal(out, array)


@pytest.mark.parametrize("scalar", [np.float32(1.5), np.int64(-3), np.uint8(200), np.bool_(True)])
def test_numpy_scalar_round_trip(scalar: np.generic) -> None:
    out = MSGPACK.decode(MSGPACK.encode([scalar]))[0]
    assert out == scalar
    assert out.dtype == scalar.dtype


def test_wire_format_is_msgpack_numpy() -> None:
    raw = msgpack.unpackb(MSGPACK.encode(np.array([1, 2], dtype="<i4")), raw=False)
    assert raw == {
        b"nd": True,
        b"type": "<i4",
        b"kind": b"",
        b"shape": [2],
        b"data": b"\x01\x00\x00\x00\x02\x00\x00\x00",
    }


def test_decode_str_keyed_array() -> None:
    body = msgpack.packb(
        {"nd": True, "type": "<f4", "kind": "", "shape": [2], "data": b"\x00\x00\x80?" * 2}
    )
    np.testing.assert_array_equal(MSGPACK.decode(body), np.ones(2, dtype=np.float32))


def test_structured_array_round_trip() -> None:
    array = np.zeros(2, dtype=[("x", "<i4"), ("y", "<f8", (2,))])
    array["x"] = [1, 2]
    array["y"] = [[0.5, 1.5], [2.5, 3.5]]
    out = MSGPACK.decode(MSGPACK.encode(array))
    assert out.dtype == array.dtype
    np.testing.assert_array_equal(out, array)


def test_object_array_goes_as_list() -> None:
    assert MSGPACK.decode(MSGPACK.encode(np.array([1, "a"], dtype=object))) == [1, "a"]


def test_pandas_tuples_and_plain_values() -> None:
    value = {
        "df": pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
        "s": pd.Series([1.5, 2.5]),
        "t": (1, 2),
        "b": b"\x00\xff",
        "nested": {"k": [None, True, 1.5, "s"]},
    }
    assert MSGPACK.decode(MSGPACK.encode(value)) == {
        "df": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}],
        "s": [1.5, 2.5],
        "t": [1, 2],
        "b": b"\x00\xff",
        "nested": {"k": [None, True, 1.5, "s"]},
    }


def test_alias() -> None:
    assert decoder_for("application/msgpack") is MSGPACK
    assert encoder_for("application/msgpack") is MSGPACK


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty request body; expected msgpack"),
        (b"\xc1", "body is not valid msgpack: "),
        (msgpack.packb([1, 2]) + b"\x01", "body is not valid msgpack: "),
        (
            msgpack.packb({b"nd": True, b"type": "<f4", b"shape": [3], b"data": b"\x00" * 8}),
            "msgpack body holds a malformed numpy array: 8 bytes of data but shape [3] needs 12",
        ),
        (
            msgpack.packb({b"nd": True, b"type": "<zz", b"shape": [1], b"data": b"\x00"}),
            "msgpack body holds a malformed numpy array: ",
        ),
        (
            msgpack.packb({b"nd": True, b"kind": b"O", b"type": "|O", b"data": b"x"}),
            "msgpack body holds a pickled object array, which is not accepted",
        ),
    ],
)
def test_decode_errors(body: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        MSGPACK.decode(body)
    assert str(info.value).startswith(message)
