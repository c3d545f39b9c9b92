"""Tensors in gRPC messages go through the same checks as REST's (tiffin.codecs.tensors),
every datatype both ways, typed and raw; parameters and metadata convert faithfully."""

from __future__ import annotations

import numpy as np
import pytest

from tiffin.codecs import decode_request_inputs, raw_tensor
from tiffin.errors import InvalidInput, PredictionFailed
from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2 as pb
from tiffin.protocols.grpc_tensors import (
    CONTENTS_FIELD,
    decode_inputs,
    infer_response,
    model_metadata,
    parameters_of,
    set_parameters,
)

VALUES = {
    "BOOL": [True, False, True, True],
    "UINT8": [0, 1, 254, 255],
    "UINT16": [0, 1, 2, 65535],
    "UINT32": [0, 1, 2, 2**32 - 1],
    "UINT64": [0, 1, 2, 2**64 - 1],
    "INT8": [-128, -1, 0, 127],
    "INT16": [-32768, -1, 0, 32767],
    "INT32": [-(2**31), -1, 0, 2**31 - 1],
    "INT64": [-(2**63), -1, 0, 2**63 - 1],
    "FP32": [0.5, -1.25, 3.0, 1e30],
    "FP64": [0.1, -2.5, 3.0, 1e300],
    "BYTES": [b"a", b"", b"\xff\x00", b"longer"],
}


def typed(name: str, datatype: str, shape: list[int], values: list) -> pb.ModelInferRequest:
    request = pb.ModelInferRequest(model_name="m")
    tensor = request.inputs.add(name=name, datatype=datatype, shape=shape)
    getattr(tensor.contents, CONTENTS_FIELD[datatype]).extend(values)
    return request


def raw(name: str, datatype: str, shape: list[int], blob: bytes) -> pb.ModelInferRequest:
    request = pb.ModelInferRequest(model_name="m")
    request.inputs.add(name=name, datatype=datatype, shape=shape)
    request.raw_input_contents.append(blob)
    return request


def as_blob(array: np.ndarray, datatype: str) -> bytes:
    data = raw_tensor(array, datatype)
    return data if isinstance(data, bytes) else data.tobytes()


@pytest.mark.parametrize("datatype", sorted(VALUES))
def test_every_datatype_decodes_typed_and_raw_alike(datatype: str) -> None:
    [(name, from_typed)] = decode_inputs(typed("x", datatype, [2, 2], VALUES[datatype]))
    [(_, from_raw)] = decode_inputs(raw("x", datatype, [2, 2], as_blob(from_typed, datatype)))
    assert name == "x"
    assert from_typed.shape == from_raw.shape == (2, 2)
    assert (
        from_typed.ravel().tolist()
        == from_raw.ravel().tolist()
        == (
            [pytest.approx(v) for v in VALUES[datatype]] if datatype == "FP32" else VALUES[datatype]
        )
    )


@pytest.mark.parametrize("datatype", sorted(VALUES))
@pytest.mark.parametrize("mode", ["typed", "raw"])
def test_every_datatype_encodes_both_ways(datatype: str, mode: str) -> None:
    [(_, array)] = decode_inputs(typed("x", datatype, [4], VALUES[datatype]))
    response = infer_response("m", "1", "id-1", {"y": array.reshape(2, 2)}, raw=mode == "raw")
    (output,) = response.outputs
    assert (output.name, output.datatype, list(output.shape)) == ("y", datatype, [2, 2])
    assert response.id == "id-1" and response.model_version == "1"
    if mode == "raw":
        assert response.raw_output_contents == [as_blob(array, datatype)]
        assert not output.HasField("contents")
        [(_, back)] = decode_inputs(raw("y", datatype, [2, 2], response.raw_output_contents[0]))
    else:
        assert not response.raw_output_contents
        values = list(getattr(output.contents, CONTENTS_FIELD[datatype]))
        [(_, back)] = decode_inputs(typed("y", datatype, [2, 2], values))
    assert back.ravel().tolist() == array.tolist()


def test_fp16_is_raw_only() -> None:
    halves = np.array([0.5, -2.0], dtype="<f2")
    [(_, array)] = decode_inputs(raw("h", "FP16", [2], halves.tobytes()))
    assert array.dtype == np.float16 and array.tolist() == [0.5, -2.0]
    response = infer_response("m", "1", "", {"h": array, "n": np.arange(2)}, raw=False)
    assert len(response.raw_output_contents) == 2  # all raw: the protocol allows no mixing
    request = pb.ModelInferRequest(model_name="m")
    request.inputs.add(name="h", datatype="FP16", shape=[2])
    with pytest.raises(InvalidInput, match="FP16, which has no typed contents field"):
        decode_inputs(request)


def test_text_outputs_are_bytes_elements() -> None:
    response = infer_response("m", "1", "", {"s": np.array(["é", "b"])}, raw=False)
    assert list(response.outputs[0].contents.bytes_contents) == ["é".encode(), b"b"]
    raw_response = infer_response("m", "1", "", {"s": ["é"]}, raw=True)
    assert raw_response.raw_output_contents == [b"\x02\x00\x00\x00" + "é".encode()]


@pytest.mark.parametrize(
    ("tensor", "blob"),
    [({"name": "x", "datatype": "FP64", "shape": [2, 2]}, np.zeros(3).tobytes()),
     ({"name": "s", "datatype": "BYTES", "shape": [2]}, b"\x01\x00\x00\x00a\x05\x00"),
     ({"name": "s", "datatype": "BYTES", "shape": [3]}, b"\x01\x00\x00\x00a"),
     ({"name": "x", "datatype": "FP99", "shape": [1]}, b"\x00"),
     ({"name": "x", "datatype": "INT8", "shape": [-1]}, b"\x00")],
    ids=["byte-length", "bytes-truncated", "bytes-count", "datatype", "negative-dim"],
)  # fmt: skip
def test_raw_errors_are_the_binary_extensions_word_for_word(tensor, blob) -> None:
    """A raw gRPC input and a REST binary-extension input fail with the same message."""
    body = {"inputs": [{**tensor, "parameters": {"binary_data_size": len(blob)}}]}
    with pytest.raises(InvalidInput) as rest:
        decode_request_inputs(body, blob)
    with pytest.raises(InvalidInput) as grpc:
        decode_inputs(raw(tensor["name"], tensor["datatype"], tensor["shape"], blob))
    assert grpc.value.message == rest.value.message


@pytest.mark.parametrize(
    ("datatype", "shape", "values"),
    [("FP64", [2, 3], [1.0, 2.0]), ("INT8", [1], [300]), ("UINT8", [1], [256])],
    ids=["count", "int8-range", "uint8-range"],
)
def test_typed_errors_are_the_json_datas_word_for_word(datatype, shape, values) -> None:
    tensor = {"name": "x", "datatype": datatype, "shape": shape, "data": values}
    with pytest.raises(InvalidInput) as rest:
        decode_request_inputs({"inputs": [tensor]})
    with pytest.raises(InvalidInput) as grpc:
        decode_inputs(typed("x", datatype, shape, values))
    assert grpc.value.message == rest.value.message


def test_typed_contents_with_raw_contents_or_in_the_wrong_field_are_refused() -> None:
    request = raw("x", "FP64", [1], np.zeros(1).tobytes())
    request.inputs[0].contents.fp64_contents.append(1.0)
    with pytest.raises(InvalidInput, match="has typed contents but the request uses raw"):
        decode_inputs(request)
    wrong = typed("x", "INT64", [1], [1])
    wrong.inputs[0].contents.ClearField("int64_contents")
    wrong.inputs[0].contents.fp32_contents.append(1.0)
    with pytest.raises(InvalidInput, match=r"is INT64 but its data is in contents.fp32_contents"):
        decode_inputs(wrong)


def test_several_inputs_keep_their_order_and_names() -> None:
    request = typed("a", "INT64", [1], [1])
    request.inputs.add(name="b", datatype="BOOL", shape=[1]).contents.bool_contents.append(True)
    assert [(name, array.tolist()) for name, array in decode_inputs(request)] == [
        ("a", [1]), ("b", [True]),
    ]  # fmt: skip


def test_parameters_convert_both_ways() -> None:
    values = {"flag": True, "count": -3, "big": 2**64 - 1, "ratio": 0.25, "word": "x"}
    message = pb.ModelInferRequest()
    set_parameters(message.parameters, values)
    assert message.parameters["big"].WhichOneof("parameter_choice") == "uint64_param"
    assert message.parameters["flag"].WhichOneof("parameter_choice") == "bool_param"
    assert parameters_of(message.parameters) == values


def test_a_result_that_is_no_tensor_fails_the_encode_stage() -> None:
    with pytest.raises(PredictionFailed, match=r"^encode raised"):
        infer_response("m", "1", "", {"y": [[1, 2], [3]]}, raw=False)


def test_model_metadata_message() -> None:
    message = model_metadata({
        "name": "iris", "versions": ["1"], "platform": "tiffin",
        "inputs": [{"name": "features", "datatype": "FP64", "shape": [-1, 4]}],
        "outputs": [],
    })  # fmt: skip
    assert message.name == "iris" and list(message.versions) == ["1"]
    assert [(t.name, t.datatype, list(t.shape)) for t in message.inputs] == [
        ("features", "FP64", [-1, 4])
    ]
