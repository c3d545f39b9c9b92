"""Open Inference Protocol (V2) tensors: JSON data, binary blobs, errors."""

from __future__ import annotations

import struct

import numpy as np
import orjson
import pandas as pd
import pytest

from tiffin.codecs import (
    DATATYPES,
    datatype_of,
    decode_request_inputs,
    decode_tensor,
    dumps,
    encode_binary_response,
    encode_tensor,
    split_binary_body,
)
from tiffin.errors import InvalidInput

JSON_VALUES = {
    "BOOL": [True, False, True, True, False, False],
    "UINT8": [0, 1, 2, 3, 254, 255],
    "UINT16": [0, 1, 2, 3, 4, 65535],
    "UINT32": [0, 1, 2, 3, 4, 2**32 - 1],
    "UINT64": [0, 1, 2, 3, 4, 2**64 - 1],
    "INT8": [-128, -1, 0, 1, 2, 127],
    "INT16": [-32768, -1, 0, 1, 2, 32767],
    "INT32": [-(2**31), -1, 0, 1, 2, 2**31 - 1],
    "INT64": [-(2**63), -1, 0, 1, 2, 2**63 - 1],
    "FP16": [0.5, -1.0, 0.0, 2.0, 1024.0, -0.25],
    "FP32": [0.1, -1.5, 0.0, 3.25, 1e10, -1e-3],
    "FP64": [0.1, -1.5, 0.0, 3.25, 1e300, -1e-300],
    "BYTES": ["a", "bc", "", "d", "é", "f"],
}


def test_datatypes_cover_the_spec() -> None:
    assert set(DATATYPES) == set(JSON_VALUES)


def _tensor(datatype: str, data: object, shape: list[int] | None = None) -> dict[str, object]:
    return {"name": "x", "datatype": datatype, "shape": shape or [2, 3], "data": data}


@pytest.mark.parametrize("datatype", JSON_VALUES)
def test_json_round_trip_every_datatype(datatype: str) -> None:
    flat = JSON_VALUES[datatype]
    nested = [flat[:3], flat[3:]]
    for data in (flat, nested):
        array = decode_tensor(_tensor(datatype, data))
        assert array.dtype == DATATYPES[datatype]
        assert array.shape == (2, 3)
        assert datatype_of(array) == datatype
        encoded = orjson.loads(dumps(encode_tensor("y", array)))
        assert encoded["name"] == "y"
        assert encoded["datatype"] == datatype
        assert encoded["shape"] == [2, 3]
        again = decode_tensor({**encoded, "name": "y"})
        np.testing.assert_array_equal(again, array)


def test_bytes_values_stay_str() -> None:
    array = decode_tensor(_tensor("BYTES", ["a", "b"], [2]))
    assert array.dtype == object
    assert array.tolist() == ["a", "b"]


@pytest.mark.parametrize(
    ("value", "datatype", "shape", "data"),
    [
        (np.array([[1, 2], [3, 4]], dtype=np.int32), "INT32", [2, 2], [1, 2, 3, 4]),
        ([0.5, 1.5], "FP64", [2], [0.5, 1.5]),
        (3, "INT64", [], [3]),
        (True, "BOOL", [], [True]),
        (np.array([b"ab", b"c"]), "BYTES", [2], ["ab", "c"]),
        (np.array([b"x", "y", 3], dtype=object), "BYTES", [3], ["x", "y", "3"]),
        (["p", "q"], "BYTES", [2], ["p", "q"]),
        (pd.Series([1.5, 2.5]), "FP64", [2], [1.5, 2.5]),
        (pd.DataFrame({"a": [1, 2], "b": [3, 4]}), "INT64", [2, 2], [1, 3, 2, 4]),
        (np.arange(6).reshape(2, 3).T, "INT64", [3, 2], [0, 3, 1, 4, 2, 5]),
    ],
)
def test_encode_tensor(value: object, datatype: str, shape: list[int], data: list[object]) -> None:
    tensor = encode_tensor("out", value)
    assert tensor["datatype"] == datatype
    assert tensor["shape"] == shape
    assert list(np.asarray(tensor["data"]).tolist()) == data


def test_encode_tensor_non_utf8_bytes() -> None:
    with pytest.raises(InvalidInput, match="tensor 'out' holds bytes that are not UTF-8"):
        encode_tensor("out", np.array([b"\xff"], dtype=object))


def test_datatype_of_unsupported() -> None:
    with pytest.raises(InvalidInput, match="numpy dtype complex128 has no V2 datatype"):
        datatype_of(np.zeros(2, dtype=complex))


@pytest.mark.parametrize(
    ("tensor", "message"),
    [
        (
            {"name": "x", "datatype": "FP99", "shape": [1], "data": [1]},
            "unknown datatype 'FP99' for input 'x'; expected one of BOOL, UINT8,",
        ),
        (
            {"name": "x", "datatype": "fp32", "shape": [1], "data": [1]},
            "unknown datatype 'fp32' for input 'x'",
        ),
        (
            {"name": "x", "datatype": "FP32", "shape": [2, 3], "data": [1, 2, 3, 4, 5]},
            "input 'x' has 5 elements but shape [2, 3] needs 6",
        ),
        (
            {"name": "x", "datatype": "FP32", "shape": [2, 3], "data": [[1, 2, 3], [4, 5]]},
            "input 'x' data cannot be read as FP32: ",
        ),
        (
            {"name": "x", "datatype": "FP32", "shape": [1], "data": ["abc"]},
            "input 'x' data cannot be read as FP32: could not convert string to float",
        ),
        (
            {"name": "x", "datatype": "UINT8", "shape": [1], "data": [300]},
            "input 'x' data cannot be read as UINT8: ",
        ),
        (
            {"name": "x", "datatype": "INT32", "shape": [1], "data": [None]},
            "input 'x' data cannot be read as INT32: ",
        ),
        (
            {"name": "x", "datatype": "FP32", "shape": [-1], "data": [1]},
            "input 'x' has shape [-1]; expected a list of non-negative integers",
        ),
        (
            {"name": "x", "datatype": "FP32", "shape": "2", "data": [1, 2]},
            "input 'x' has shape '2'; expected a list of non-negative integers",
        ),
        (
            {"name": "x", "datatype": "FP32", "shape": [1.0], "data": [1]},
            "input 'x' has shape [1.0]",
        ),
        (
            {"datatype": "FP32", "shape": [1], "data": [1]},
            "tensor 'name' must be a string, got None",
        ),
        ({"name": "x", "datatype": "FP32", "shape": [1]}, "input 'x' has no 'data'"),
        ([1, 2], "each tensor must be a JSON object, not list"),
    ],
)
def test_decode_tensor_errors(tensor: object, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        decode_tensor(tensor)  # type: ignore[arg-type]
    assert str(info.value).startswith(message), str(info.value)


def test_empty_tensor() -> None:
    array = decode_tensor({"name": "x", "datatype": "FP32", "shape": [0, 3], "data": []})
    assert array.shape == (0, 3)


# --- binary data extension ---------------------------------------------------


def _binary_request(tensors: list[tuple[dict[str, object], bytes]]) -> tuple[bytes, int]:
    inputs = [{**tensor, "parameters": {"binary_data_size": len(blob)}} for tensor, blob in tensors]
    header = orjson.dumps({"inputs": inputs})
    return header + b"".join(blob for _, blob in tensors), len(header)


def _bytes_blob(items: list[bytes]) -> bytes:
    return b"".join(struct.pack("<I", len(item)) + item for item in items)


@pytest.mark.parametrize("datatype", [d for d in DATATYPES if d != "BYTES"])
def test_binary_round_trip_every_datatype(datatype: str) -> None:
    array = np.asarray(JSON_VALUES[datatype], dtype=DATATYPES[datatype]).reshape(3, 2)
    tensor = {"name": "x", "datatype": datatype, "shape": [3, 2]}
    body, length = _binary_request([(tensor, array.tobytes())])
    header, binary = split_binary_body(body, length)
    [(name, out, parameters)] = decode_request_inputs(header, binary)
    assert name == "x"
    assert parameters == {"binary_data_size": array.nbytes}
    assert out.dtype == array.dtype
    np.testing.assert_array_equal(out, array)


def test_binary_bool_is_one_byte_each() -> None:
    tensor = {"name": "b", "datatype": "BOOL", "shape": [3]}
    out = decode_tensor(tensor, b"\x01\x00\x01")
    assert out.tolist() == [True, False, True]


def test_binary_bytes_and_mixed_inputs() -> None:
    words = [b"hello", b"", b"\xff\x00"]
    body, length = _binary_request(
        [
            ({"name": "s", "datatype": "BYTES", "shape": [3]}, _bytes_blob(words)),
            ({"name": "h", "datatype": "FP16", "shape": [2]}, np.float16([0.5, 2]).tobytes()),
        ]
    )
    header = orjson.loads(body[:length])
    header["inputs"].insert(1, {"name": "j", "datatype": "INT32", "shape": [2], "data": [7, 8]})
    new_header = orjson.dumps(header)
    body = new_header + body[length:]
    decoded = decode_request_inputs(*split_binary_body(body, str(len(new_header))))
    assert [name for name, _, _ in decoded] == ["s", "j", "h"]
    assert decoded[0][1].tolist() == words
    assert decoded[1][1].tolist() == [7, 8]
    assert decoded[2][1].dtype == np.float16
    assert decoded[2][1].tolist() == [0.5, 2.0]


@pytest.mark.parametrize(
    ("tensors", "binary", "message"),
    [
        (
            [{"name": "x", "datatype": "FP32", "shape": [2], "binary_data_size": 4}],
            b"\x00" * 4,
            "input 'x' has 4 bytes of binary data but shape [2] of FP32 needs 8",
        ),
        (
            [{"name": "x", "datatype": "FP32", "shape": [1], "binary_data_size": 8}],
            b"\x00" * 4,
            "input 'x' needs 8 bytes of binary data but only 4 remain",
        ),
        (
            [{"name": "x", "datatype": "FP32", "shape": [1], "binary_data_size": 4}],
            b"\x00" * 6,
            "the request has 6 bytes of binary data but inputs use 4",
        ),
        (
            [{"name": "x", "datatype": "FP32", "shape": [1], "binary_data_size": 4}],
            None,
            "input 'x' sets binary_data_size but the request has no binary data",
        ),
        (
            [{"name": "x", "datatype": "FP32", "shape": [1], "binary_data_size": "4"}],
            b"\x00" * 4,
            "input 'x' has binary_data_size '4'; expected an integer",
        ),
        (
            [{"name": "s", "datatype": "BYTES", "shape": [2], "binary_data_size": 6}],
            _bytes_blob([b"ab"]),
            "input 's' has 1 BYTES elements but needs 2",
        ),
        (
            [{"name": "s", "datatype": "BYTES", "shape": [1], "binary_data_size": 5}],
            struct.pack("<I", 9) + b"a",
            "input 's' BYTES element 0 is truncated",
        ),
        (
            [{"name": "s", "datatype": "BYTES", "shape": [1], "binary_data_size": 2}],
            b"\x01\x00",
            "input 's' BYTES data is truncated in a length prefix",
        ),
    ],
)
def test_binary_errors(
    tensors: list[dict[str, object]], binary: bytes | None, message: str
) -> None:
    inputs = [
        {k: v for k, v in t.items() if k != "binary_data_size"}
        | {"parameters": {"binary_data_size": t["binary_data_size"]}}
        for t in tensors
    ]
    with pytest.raises(InvalidInput) as info:
        decode_request_inputs({"inputs": inputs}, binary)
    assert str(info.value).startswith(message), str(info.value)


@pytest.mark.parametrize(
    ("body", "length", "message"),
    [
        (b'{"inputs": []}', 99, "Inference-Header-Content-Length is 99 but the body has 14 bytes"),
        (b'{"inputs": []}', 0, "Inference-Header-Content-Length is 0"),
        (b'{"inputs": []}', "abc", "Inference-Header-Content-Length must be an integer"),
        (b'{"inputs": [}xx', 13, "malformed JSON: "),
        (b"[1]", 3, "the inference request header must be a JSON object"),
    ],
)
def test_split_binary_body_errors(body: bytes, length: int | str, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        split_binary_body(body, length)
    assert str(info.value).startswith(message), str(info.value)


def test_decode_request_inputs_needs_a_list() -> None:
    with pytest.raises(InvalidInput, match="needs 'inputs', a list of tensors"):
        decode_request_inputs({"inputs": {}})


def test_decode_request_inputs_json_only() -> None:
    request = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2], "data": [1, 2]}]}
    [(name, array, parameters)] = decode_request_inputs(request)
    assert (name, array.tolist(), parameters) == ("x", [1.0, 2.0], {})


def test_encode_binary_response() -> None:
    response = {
        "model_name": "m",
        "id": "1",
        "outputs": [
            {"name": "a", "datatype": "FP32", "shape": [2], "data": [0.0, 0.0]},
            {"name": "j", "datatype": "INT64", "shape": [1], "data": [5]},
        ],
    }
    a = np.array([[1.5, 2.5]], dtype=np.float32)
    words = np.array(["x", "yz"], dtype=object)
    body, length = encode_binary_response(response, {"a": a, "w": words})
    header = orjson.loads(body[:length])
    assert header["model_name"] == "m"
    assert header["id"] == "1"
    out_a, out_j, out_w = header["outputs"]
    assert out_a == {
        "name": "a",
        "datatype": "FP32",
        "shape": [1, 2],
        "parameters": {"binary_data_size": 8},
    }
    assert out_j == response["outputs"][1]
    assert out_w["parameters"] == {"binary_data_size": 11}
    assert body[length:] == a.tobytes() + _bytes_blob([b"x", b"yz"])
    assert "data" in response["outputs"][0], "the caller's dict is not modified"
