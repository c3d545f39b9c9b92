"""application/x-npy codec."""

from __future__ import annotations

import io

import numpy as np
import pytest

from tiffin.codecs import decoder_for
from tiffin.errors import InvalidInput

NPY = decoder_for("application/x-npy")


@pytest.mark.parametrize(
    "array",
    [
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.array(True),
        np.array(["a", "bc"]),
        np.zeros((2, 0, 3), dtype=np.uint8),
        np.arange(24).reshape(2, 3, 4)[:, ::2],
    ],
)
def test_round_trip(array: np.ndarray) -> None:
    out = NPY.decode(NPY.encode(array))
    assert out.dtype == array.dtype
    assert out.shape == array.shape
    np.testing.assert_array_equal(out, array)


def test_encode_list() -> None:
    np.testing.assert_array_equal(NPY.decode(NPY.encode([[1, 2], [3, 4]])), [[1, 2], [3, 4]])


@pytest.mark.parametrize("body", [b"not npy", b"\x93NUMPY\x01\x00garbage"])
def test_decode_garbage(body: bytes) -> None:
    with pytest.raises(InvalidInput, match=r"^body is not a valid \.npy array: "):
        NPY.decode(body)


def test_decode_empty() -> None:
    with pytest.raises(InvalidInput, match=r"^empty request body; expected a \.npy array$"):
        NPY.decode(b"")


def test_decode_refuses_pickles() -> None:
    out = io.BytesIO()
    np.save(out, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InvalidInput, match=r"^body is not a valid \.npy array: .*allow_pickle"):
        NPY.decode(out.getvalue())


def test_decode_refuses_npz() -> None:
    out = io.BytesIO()
    np.savez(out, a=np.arange(3))
    with pytest.raises(InvalidInput, match="npz"):
        NPY.decode(out.getvalue())


def test_encode_object_array_raises() -> None:
    with pytest.raises(TypeError, match="object array"):
        NPY.encode(np.array([1, None], dtype=object))
