"""Open Inference Protocol tensors and parameters in gRPC messages, through tiffin.codecs.

Every input goes through :func:`tiffin.codecs.tensors.decode_tensor`, as REST's do, so
datatypes, shapes, element counts, byte lengths and ``BYTES`` length prefixes are checked
by the same code with the same messages: raw contents (``raw_input_contents``) as a
binary-extension blob, typed contents (``contents.fp32_contents``...) as JSON ``data``.
Typed ``BYTES`` elements reach the model as ``bytes``, as raw ones do.

A response is all raw (``raw_output_contents``) or all typed, as the protocol requires;
FP16 has no typed field, so an FP16 output makes it raw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tiffin.codecs import bytes_elements, decode_tensor, raw_tensor, tensor_array
from tiffin.errors import InvalidInput
from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2 as pb
from tiffin.protocols.oip_common import encode_stage

CONTENTS_FIELD: dict[str, str] = {
    "BOOL": "bool_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}
"""The ``InferTensorContents`` field of each datatype; FP16 has none (raw only)."""

_UINT64_FROM = 2**63


def parameters_of(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """A ``map<string, InferParameter>`` as a dict of plain values (bool, int, str, float)."""
    values: dict[str, Any] = {}
    for key, parameter in parameters.items():
        which = parameter.WhichOneof("parameter_choice")
        if which is not None:
            values[key] = getattr(parameter, which)
    return values


def set_parameters(target: Any, values: Mapping[str, Any]) -> None:
    """Write plain values into a ``map<string, InferParameter>``."""
    for key, value in values.items():
        parameter = target[key]
        if isinstance(value, bool):
            parameter.bool_param = value
        elif isinstance(value, int):
            if value >= _UINT64_FROM:
                parameter.uint64_param = value
            else:
                parameter.int64_param = value
        elif isinstance(value, float):
            parameter.double_param = value
        else:
            parameter.string_param = str(value)


def decode_inputs(request: Any) -> list[tuple[str, np.ndarray]]:
    """Every input of a ``ModelInferRequest``, in order, as ``(name, array)``."""
    raw = request.raw_input_contents
    if raw and len(raw) != len(request.inputs):
        raise InvalidInput(
            f"the request has {len(raw)} raw_input_contents for {len(request.inputs)} inputs",
            hint="send one raw_input_contents entry per input, in the order of the inputs",
        )
    decoded = []
    for index, tensor in enumerate(request.inputs):
        header: dict[str, Any] = {
            "name": tensor.name, "datatype": tensor.datatype, "shape": list(tensor.shape),
        }  # fmt: skip
        if raw:
            if tensor.contents.ByteSize():
                raise InvalidInput(
                    f"input {tensor.name!r} has typed contents but the request uses "
                    "raw_input_contents; send every input one way"
                )
            array = decode_tensor(header, raw[index])
        else:
            header["data"] = typed_values(tensor)
            array = decode_tensor(header)
        decoded.append((tensor.name, array))
    return decoded


def typed_values(tensor: Any) -> list[Any]:
    """The elements of an input's typed contents, from the field of its datatype."""
    field = CONTENTS_FIELD.get(tensor.datatype)
    if tensor.datatype == "FP16":
        raise InvalidInput(
            f"input {tensor.name!r} is FP16, which has no typed contents field",
            hint="send FP16 tensors in raw_input_contents (little-endian half floats)",
        )
    if field is None:
        return []  # an unknown datatype: decode_tensor names it with the valid ones
    stray = [f.name for f, _ in tensor.contents.ListFields() if f.name != field]
    if stray:
        raise InvalidInput(
            f"input {tensor.name!r} is {tensor.datatype} but its data is in "
            f"contents.{stray[0]}; {tensor.datatype} data goes in contents.{field}"
        )
    return list(getattr(tensor.contents, field))


def infer_response(
    name: str, version: str, request_id: str, outputs: dict[str, Any], raw: bool
) -> Any:
    """A ``ModelInferResponse`` holding ``outputs``: raw contents when ``raw`` (or when an
    output is FP16), typed contents otherwise."""
    with encode_stage():
        arrays = [(key, *tensor_array(value)) for key, value in outputs.items()]
    raw = raw or any(datatype == "FP16" for _, _, datatype in arrays)
    response = pb.ModelInferResponse(model_name=name, model_version=version, id=request_id)
    for key, array, datatype in arrays:
        tensor = response.outputs.add(name=key, datatype=datatype, shape=array.shape)
        if raw:
            data = raw_tensor(array, datatype)
            response.raw_output_contents.append(data if isinstance(data, bytes) else data.tobytes())
        elif datatype == "BYTES":
            tensor.contents.bytes_contents.extend(bytes_elements(array))
        else:
            getattr(tensor.contents, CONTENTS_FIELD[datatype]).extend(array.ravel().tolist())
    return response


def model_metadata(metadata: Mapping[str, Any]) -> Any:
    """A ``ModelMetadataResponse`` from the dataplane's metadata dict."""
    return pb.ModelMetadataResponse(
        name=metadata["name"],
        versions=metadata["versions"],
        platform=metadata["platform"],
        inputs=[_tensor_metadata(t) for t in metadata.get("inputs") or []],
        outputs=[_tensor_metadata(t) for t in metadata.get("outputs") or []],
    )


def _tensor_metadata(tensor: Mapping[str, Any]) -> Any:
    return pb.ModelMetadataResponse.TensorMetadata(
        name=str(tensor.get("name", "")),
        datatype=str(tensor.get("datatype", "")),
        shape=[int(dim) for dim in tensor.get("shape") or []],
    )
