"""``application/x-npy``: one numpy array in the ``.npy`` format."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from tiffin.codecs._compat import is_dataframe, is_series
from tiffin.codecs.registry import Codec, register_codec
from tiffin.errors import InvalidInput

__all__ = ["NPYCodec"]


@register_codec
class NPYCodec(Codec):
    """``application/x-npy``; pickled (object) arrays are refused both ways."""

    media_type = "application/x-npy"
    universal = False

    def decode(self, body: bytes) -> np.ndarray:
        """Load the array with ``allow_pickle=False``."""
        if not body:
            raise InvalidInput("empty request body; expected a .npy array")
        try:
            array = np.load(io.BytesIO(body), allow_pickle=False)
        except Exception as exc:
            raise InvalidInput(f"body is not a valid .npy array: {exc}") from exc
        if not isinstance(array, np.ndarray):
            raise InvalidInput("body is not a valid .npy array: it is a .npz archive")
        return array

    def encode(self, value: Any) -> bytes:
        """Save ``np.asarray(value)``; object arrays raise :class:`TypeError`."""
        if is_dataframe(value) or is_series(value):
            value = value.to_numpy()
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise TypeError("cannot write an object array as .npy; convert it to a numeric dtype")
        out = io.BytesIO()
        np.save(out, array, allow_pickle=False)
        return out.getvalue()
