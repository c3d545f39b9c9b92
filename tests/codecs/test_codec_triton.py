"""Interoperability with tritonclient's HTTP client, without a server."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from tiffin.codecs import decode_request_inputs, encode_binary_response, split_binary_body

httpclient = pytest.importorskip("tritonclient.http")


def _request_body(inputs: list[object], outputs: list[object]) -> tuple[bytes, int | None]:
    client = httpclient.InferenceServerClient
    if hasattr(client, "generate_request_body"):
        return client.generate_request_body(inputs, outputs=outputs)
    from tritonclient.http._utils import _get_inference_request

    return _get_inference_request(
        inputs=inputs,
        request_id="",
        outputs=outputs,
        sequence_id=0,
        sequence_start=False,
        sequence_end=False,
        priority=0,
        timeout=None,
        custom_parameters=None,
    )


ARRAYS = {
    "fp32": ("FP32", np.arange(6, dtype=np.float32).reshape(2, 3)),
    "fp16": ("FP16", np.array([[0.5, -2.0]], dtype=np.float16)),
    "int64": ("INT64", np.array([-(2**40), 7], dtype=np.int64)),
    "uint8": ("UINT8", np.arange(8, dtype=np.uint8).reshape(2, 2, 2)),
    "bool": ("BOOL", np.array([True, False, True])),
    "text": ("BYTES", np.array([b"hello", "w\u00f6rld".encode(), b""], dtype=object)),
}


def test_decode_request_built_by_tritonclient() -> None:
    inputs = []
    for name, (datatype, array) in ARRAYS.items():
        infer_input = httpclient.InferInput(name, list(array.shape), datatype)
        infer_input.set_data_from_numpy(array, binary_data=True)
        inputs.append(infer_input)
    outputs = [httpclient.InferRequestedOutput("y", binary_data=True)]
    body, json_length = _request_body(inputs, outputs)
    assert json_length is not None

    header, binary = split_binary_body(body, json_length)
    decoded = decode_request_inputs(header, binary)

    assert [name for name, _, _ in decoded] == list(ARRAYS)
    for name, array, parameters in decoded:
        expected = ARRAYS[name][1]
        assert array.shape == expected.shape
        assert array.dtype == expected.dtype
        assert parameters["binary_data_size"] > 0
        np.testing.assert_array_equal(array, expected)
    assert header["outputs"] == [{"name": "y", "parameters": {"binary_data": True}}]


def test_decode_json_request_built_by_tritonclient() -> None:
    infer_input = httpclient.InferInput("x", [2, 2], "INT32")
    infer_input.set_data_from_numpy(np.array([[1, 2], [3, 4]], dtype=np.int32), binary_data=False)
    body, json_length = _request_body([infer_input], [])
    assert json_length is None
    [(name, array, _)] = decode_request_inputs(orjson.loads(body))
    assert name == "x"
    np.testing.assert_array_equal(array, [[1, 2], [3, 4]])


def test_tritonclient_reads_our_binary_response() -> None:
    response = {
        "model_name": "clf",
        "outputs": [{"name": "json_out", "datatype": "FP64", "shape": [2], "data": [0.5, 1.5]}],
    }
    binary_outputs = {name: array for name, (_, array) in ARRAYS.items()}
    body, json_length = encode_binary_response(response, binary_outputs)

    result = httpclient.InferResult.from_response_body(body, header_length=json_length)

    np.testing.assert_array_equal(result.as_numpy("json_out"), [0.5, 1.5])
    for name, (datatype, expected) in ARRAYS.items():
        array = result.as_numpy(name)
        assert result.get_output(name)["datatype"] == datatype
        assert array.shape == expected.shape
        np.testing.assert_array_equal(array, expected)
