"""JSON: dumps of numpy/pandas values, loads errors, the application/json codec."""

from __future__ import annotations

import base64
import datetime
from decimal import Decimal

import numpy as np
import orjson
import pandas as pd
import pytest

from tiffin.codecs import decoder_for, dumps, encoder_for, loads
from tiffin.errors import InvalidInput


def test_dumps_native_numpy_arrays() -> None:
    assert dumps(np.arange(6, dtype=np.float32).reshape(2, 3)) == b"[[0.0,1.0,2.0],[3.0,4.0,5.0]]"
    assert dumps({"b": np.array([True, False])}) == b'{"b":[true,false]}'


def test_dumps_non_contiguous_array() -> None:
    array = np.arange(12).reshape(3, 4)[:, ::2]
    assert not array.flags.c_contiguous
    assert orjson.loads(dumps(array)) == [[0, 2], [4, 6], [8, 10]]
    assert orjson.loads(dumps(array.T)) == array.T.tolist()


def test_dumps_unsupported_dtypes_and_0d() -> None:
    assert orjson.loads(dumps(np.array(["a", "b"]))) == ["a", "b"]
    assert orjson.loads(dumps(np.array([1, "x", None], dtype=object))) == [1, "x", None]
    assert orjson.loads(dumps(np.array(2.5))) == 2.5


def test_dumps_numpy_scalars() -> None:
    value = {"i": np.int64(3), "f": np.float32(0.5), "b": np.bool_(True), "u": np.uint8(7)}
    assert orjson.loads(dumps(value)) == {"i": 3, "f": 0.5, "b": True, "u": 7}


def test_dumps_dataframe_series_timestamp() -> None:
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    assert orjson.loads(dumps(df)) == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert orjson.loads(dumps(pd.Series([1.5, 2.5]))) == [1.5, 2.5]
    assert dumps(pd.Timestamp("2024-01-02T03:04:05")) == b'"2024-01-02T03:04:05"'
    assert dumps([pd.NaT]) == b"[null]"


def test_dumps_python_odds_and_ends() -> None:
    assert orjson.loads(dumps({"s": {1}, "t": (1, 2), "f": frozenset()})) == {
        "s": [1],
        "t": [1, 2],
        "f": [],
    }
    assert dumps(b"hello") == b'"hello"'
    assert dumps(b"\xff\x00") == b'"' + base64.b64encode(b"\xff\x00") + b'"'
    assert dumps(Decimal("1.25")) == b"1.25"
    assert dumps({1: "int key"}) == b'{"1":"int key"}'
    assert dumps(datetime.date(2024, 1, 2)) == b'"2024-01-02"'


def test_dumps_duck_typed_objects() -> None:
    class Tolist:
        def tolist(self) -> list[int]:
            return [1]

    class Model:
        def model_dump(self) -> dict[str, int]:
            return {"a": 1}

    class OldModel:
        def dict(self) -> dict[str, int]:
            return {"b": 2}

    assert dumps([Tolist(), Model(), OldModel()]) == b'[[1],{"a":1},{"b":2}]'


def test_dumps_unknown_type_raises_type_error() -> None:
    class Opaque:
        pass

    with pytest.raises(TypeError, match="Opaque"):
        dumps({"x": Opaque()})


def test_loads_ok() -> None:
    assert loads(b'{"instances": [[1, 2]]}') == {"instances": [[1, 2]]}
    assert loads(memoryview(b"[1]")) == [1]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty request body; expected JSON"),
        (b"{", "malformed JSON: "),
        (b"[1,]", "malformed JSON: "),
        (b"   ", "malformed JSON: "),
        (b"\xff", "malformed JSON: "),
    ],
)
def test_loads_errors(body: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        loads(body)
    assert str(info.value).startswith(message)


def test_json_codec_round_trip_keeps_lists() -> None:
    codec = decoder_for("application/json")
    value = codec.decode(b'{"instances": [[1.5, 2], [3, 4]]}')
    assert value == {"instances": [[1.5, 2], [3, 4]]}
    assert isinstance(value["instances"], list)
    out = encoder_for("application/json").encode({"predictions": np.array([0.25, 0.75])})
    assert codec.decode(out) == {"predictions": [0.25, 0.75]}
