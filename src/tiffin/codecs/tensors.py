"""Open Inference Protocol (V2) tensors, in JSON and with the binary data extension.

A tensor is ``{"name", "datatype", "shape", "data"}`` with row-major data that
may be nested or flat. With the binary extension the JSON header is followed by
one raw little-endian blob per tensor carrying ``parameters.binary_data_size``;
``BYTES`` elements are each a 4-byte little-endian length and the bytes, and
``BOOL`` is one byte per element.

JSON ``BYTES`` elements decode to Python ``str``, binary ones to ``bytes``
(both in an object array). Arrays decoded from binary blobs are read-only views
of the request body.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from typing import Any

import numpy as np

from tiffin.codecs._compat import is_dataframe, is_series
from tiffin.codecs.jsoncodec import dumps, loads
from tiffin.errors import InvalidInput

__all__ = [
    "DATATYPES",
    "bytes_elements",
    "datatype_of",
    "decode_request_inputs",
    "decode_tensor",
    "encode_binary_response",
    "encode_tensor",
    "raw_tensor",
    "split_binary_body",
    "tensor_array",
]

DATATYPES: dict[str, np.dtype] = {
    "BOOL": np.dtype("bool"),
    "UINT8": np.dtype("<u1"),
    "UINT16": np.dtype("<u2"),
    "UINT32": np.dtype("<u4"),
    "UINT64": np.dtype("<u8"),
    "INT8": np.dtype("<i1"),
    "INT16": np.dtype("<i2"),
    "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"),
    "FP16": np.dtype("<f2"),
    "FP32": np.dtype("<f4"),
    "FP64": np.dtype("<f8"),
    "BYTES": np.dtype("object"),
}
"""V2 datatype -> numpy dtype (little-endian, the wire order of binary blobs)."""

_BY_KIND: dict[tuple[str, int], str] = {
    (dtype.kind, dtype.itemsize): name for name, dtype in DATATYPES.items() if name != "BYTES"
}
_EXPECTED = ", ".join(DATATYPES)
_LENGTH = struct.Struct("<I")


def datatype_of(array: np.ndarray) -> str:
    """The V2 datatype of an array; str, bytes and object arrays are ``BYTES``."""
    kind = array.dtype.kind
    if kind in "OUS":
        return "BYTES"
    name = _BY_KIND.get((kind, array.dtype.itemsize))
    if name is None:
        raise InvalidInput(
            f"numpy dtype {array.dtype} has no V2 datatype; expected one of {_EXPECTED}"
        )
    return name


def decode_tensor(tensor: Mapping[str, Any], blob: bytes | memoryview | None = None) -> np.ndarray:
    """Validate a V2 tensor and return its data as an array of its datatype and shape.

    ``blob`` is the tensor's raw bytes when it uses the binary data extension;
    otherwise the data comes from the tensor's ``data`` field. Raises
    :class:`~tiffin.errors.InvalidInput` naming the tensor.
    """
    if not isinstance(tensor, Mapping):
        raise InvalidInput(f"each tensor must be a JSON object, not {type(tensor).__name__}")
    name = _name(tensor)
    datatype, dtype = _datatype(tensor, name)
    shape = _shape(tensor, name)
    count = math.prod(shape)
    if blob is not None:
        return _from_blob(blob, name, datatype, dtype, shape, count)
    if "data" not in tensor:
        raise InvalidInput(f"input {name!r} has no 'data' and no binary_data_size parameter")
    return _from_json(tensor["data"], name, datatype, dtype, shape, count)


def _name(tensor: Mapping[str, Any]) -> str:
    name = tensor.get("name")
    if not isinstance(name, str):
        raise InvalidInput(f"tensor 'name' must be a string, got {name!r}")
    return name


def _datatype(tensor: Mapping[str, Any], name: str) -> tuple[str, np.dtype]:
    datatype = tensor.get("datatype")
    dtype = DATATYPES.get(datatype) if isinstance(datatype, str) else None
    if dtype is None:
        raise InvalidInput(
            f"unknown datatype {datatype!r} for input {name!r}; expected one of {_EXPECTED}"
        )
    return str(datatype), dtype


def _shape(tensor: Mapping[str, Any], name: str) -> list[int]:
    shape = tensor.get("shape")
    if not isinstance(shape, list) or not all(type(dim) is int and dim >= 0 for dim in shape):
        raise InvalidInput(
            f"input {name!r} has shape {shape!r}; expected a list of non-negative integers"
        )
    return shape


def _from_json(
    data: Any, name: str, datatype: str, dtype: np.dtype, shape: list[int], count: int
) -> np.ndarray:
    try:
        array = np.asarray(data, dtype=dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidInput(f"input {name!r} data cannot be read as {datatype}: {exc}") from exc
    _check_elements(data, array, name)
    if array.size != count:
        raise InvalidInput(
            f"input {name!r} has {array.size} elements but shape {shape} needs {count}"
        )
    return array.reshape(shape)


def _check_elements(data: Any, array: np.ndarray, name: str) -> None:
    """Refuse null and objects, which numpy reads silently as NaN, False or an object.

    Numbers read as numbers need no walk unless a NaN appeared (JSON has no NaN, but
    ``null`` and the string ``"nan"`` become one); BOOL and BYTES data are walked.
    """
    kind = array.dtype.kind
    if kind == "f" and not np.isnan(array).any():
        return
    if kind not in "fbO":
        return
    found = _non_scalar(data)
    if found is not None:
        raise InvalidInput(
            f"input {name!r} data holds {found}; tensor data are (nested) arrays of "
            "numbers, strings or booleans"
        )


def _non_scalar(data: Any) -> str | None:
    """``"null"`` or ``"an object"`` if nested lists ``data`` hold one, else None."""
    pending = [data]
    while pending:
        items = pending.pop()
        if not isinstance(items, list):
            items = [items]
        for item in items:
            if isinstance(item, list):
                pending.append(item)
            elif item is None:
                return "null"
            elif isinstance(item, dict):
                return "an object"
    return None


def _from_blob(
    blob: bytes | memoryview,
    name: str,
    datatype: str,
    dtype: np.dtype,
    shape: list[int],
    count: int,
) -> np.ndarray:
    if datatype == "BYTES":
        return _bytes_elements(blob, name, count).reshape(shape)
    needed = count * dtype.itemsize
    if len(blob) != needed:
        raise InvalidInput(
            f"input {name!r} has {len(blob)} bytes of binary data "
            f"but shape {shape} of {datatype} needs {needed}"
        )
    return np.frombuffer(blob, dtype=dtype).reshape(shape)


def _bytes_elements(blob: bytes | memoryview, name: str, count: int) -> np.ndarray:
    view = memoryview(blob)
    items: list[bytes] = []
    offset, end = 0, len(view)
    while offset < end:
        if offset + 4 > end:
            raise InvalidInput(f"input {name!r} BYTES data is truncated in a length prefix")
        (length,) = _LENGTH.unpack_from(view, offset)
        offset += 4
        if offset + length > end:
            raise InvalidInput(f"input {name!r} BYTES element {len(items)} is truncated")
        items.append(bytes(view[offset : offset + length]))
        offset += length
    if len(items) != count:
        raise InvalidInput(f"input {name!r} has {len(items)} BYTES elements but needs {count}")
    array = np.empty(count, dtype=object)
    array[:] = items
    return array


def split_binary_body(
    body: bytes | memoryview, header_length: int | str
) -> tuple[dict[str, Any], memoryview]:
    """Split a binary-extension body into its JSON header and the raw blobs after it.

    ``header_length`` is the ``Inference-Header-Content-Length`` header.
    """
    try:
        length = int(header_length)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"Inference-Header-Content-Length must be an integer, got {header_length!r}"
        ) from exc
    view = memoryview(body)
    if not 0 < length <= len(view):
        raise InvalidInput(
            f"Inference-Header-Content-Length is {length} but the body has {len(view)} bytes"
        )
    header = loads(view[:length])
    if not isinstance(header, dict):
        raise InvalidInput("the inference request header must be a JSON object")
    return header, view[length:]


def decode_request_inputs(
    request_json: Mapping[str, Any], binary: memoryview | bytes | None = None
) -> list[tuple[str, np.ndarray, dict[str, Any]]]:
    """Decode every input of a V2 request, in order, as ``(name, array, parameters)``.

    Inputs whose parameters carry ``binary_data_size`` consume the next blob of
    ``binary``; every byte of ``binary`` must be used.
    """
    inputs = request_json.get("inputs")
    if not isinstance(inputs, list):
        raise InvalidInput("the inference request needs 'inputs', a list of tensors")
    view = memoryview(binary) if binary is not None else None
    decoded = []
    offset = 0
    for tensor in inputs:
        parameters = _parameters(tensor)
        blob = None
        if "binary_data_size" in parameters:
            blob = _next_blob(tensor, parameters["binary_data_size"], view, offset)
            offset += len(blob)
        array = decode_tensor(tensor, blob)
        decoded.append((tensor["name"], array, parameters))
    if view is not None and offset != len(view):
        raise InvalidInput(
            f"the request has {len(view)} bytes of binary data but inputs use {offset}"
        )
    return decoded


def _parameters(tensor: Any) -> dict[str, Any]:
    if not isinstance(tensor, Mapping):
        raise InvalidInput(f"each tensor must be a JSON object, not {type(tensor).__name__}")
    parameters = tensor.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise InvalidInput(f"input {tensor.get('name')!r} has 'parameters' that is not an object")
    return parameters


def _next_blob(
    tensor: Mapping[str, Any], size: Any, view: memoryview | None, offset: int
) -> memoryview:
    name = _name(tensor)
    if view is None:
        raise InvalidInput(
            f"input {name!r} sets binary_data_size but the request has no binary data",
            hint="set the Inference-Header-Content-Length header to the JSON length",
        )
    if type(size) is not int or size < 0:
        raise InvalidInput(f"input {name!r} has binary_data_size {size!r}; expected an integer")
    if offset + size > len(view):
        raise InvalidInput(
            f"input {name!r} needs {size} bytes of binary data but only {len(view) - offset} remain"
        )
    return view[offset : offset + size]


def encode_tensor(name: str, value: Any) -> dict[str, Any]:
    """A V2 output tensor for ``value`` (array, list, scalar, pandas Series/DataFrame).

    ``data`` is flat and row-major: a list of str for ``BYTES``, otherwise a
    flat numpy array, which :func:`~tiffin.codecs.jsoncodec.dumps` writes natively.
    """
    array, datatype = tensor_array(value)
    data: Any = _text_data(array, name) if datatype == "BYTES" else array.ravel()
    return {"name": name, "datatype": datatype, "shape": list(array.shape), "data": data}


def tensor_array(value: Any) -> tuple[np.ndarray, str]:
    """``value`` (array, list, scalar, pandas Series/DataFrame) as an array, and its V2
    datatype. Raises ValueError for a value numpy cannot make one array of, and
    :class:`~tiffin.errors.InvalidInput` for a dtype without a V2 datatype."""
    array = _as_array(value)
    return array, datatype_of(array)


def _as_array(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if is_dataframe(value) or is_series(value):
        return value.to_numpy()
    try:
        return np.asarray(value)
    except ValueError as exc:
        raise ValueError(f"cannot make a tensor of {type(value).__name__}: {exc}") from exc


def _text_data(array: np.ndarray, name: str) -> list[str]:
    items = array.ravel().tolist()
    if array.dtype.kind == "U":
        return items
    try:
        return [item.decode("utf-8") if isinstance(item, bytes) else str(item) for item in items]
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"tensor {name!r} holds bytes that are not UTF-8; request it as binary data"
        ) from exc


def encode_binary_response(
    response_json: Mapping[str, Any], binary_outputs: Mapping[str, Any]
) -> tuple[bytes, int]:
    """A binary-extension response body and the length of its JSON header.

    Outputs named in ``binary_outputs`` get ``parameters.binary_data_size`` and
    no ``data``; their blobs follow the JSON in output order. Names missing from
    ``response_json["outputs"]`` are appended as new outputs.
    """
    outputs = []
    blobs: list[Any] = []
    pending = dict(binary_outputs)
    for output in response_json.get("outputs") or []:
        if output.get("name") in pending:
            output = _binary_output(output, pending.pop(output["name"]), blobs)
        outputs.append(output)
    for name, value in pending.items():
        outputs.append(_binary_output({"name": name}, value, blobs))
    header = dumps({**response_json, "outputs": outputs})
    return b"".join([header, *blobs]), len(header)


def _binary_output(output: Mapping[str, Any], value: Any, blobs: list[Any]) -> dict[str, Any]:
    array, datatype = tensor_array(value)
    blob = raw_tensor(array, datatype)
    blobs.append(blob)
    parameters = {**(output.get("parameters") or {}), "binary_data_size": _nbytes(blob)}
    fields = {k: v for k, v in output.items() if k != "data"}
    return {**fields, "datatype": datatype, "shape": list(array.shape), "parameters": parameters}


def raw_tensor(array: np.ndarray, datatype: str) -> np.ndarray | bytes:
    """A tensor's raw data, as the binary extension and gRPC's raw contents carry it.

    Numbers are a contiguous little-endian array (write it as a buffer, or ``tobytes()``);
    ``BYTES`` are bytes, each element prefixed by its 4-byte little-endian length.
    """
    if datatype != "BYTES":
        return np.ascontiguousarray(array, dtype=DATATYPES[datatype])
    parts = []
    for item in bytes_elements(array):
        parts.append(_LENGTH.pack(len(item)))
        parts.append(item)
    return b"".join(parts)


def bytes_elements(array: np.ndarray) -> list[bytes]:
    """The elements of a ``BYTES`` tensor, row-major, as bytes (anything else as UTF-8 text)."""
    return [item if isinstance(item, bytes) else str(item).encode("utf-8")
            for item in array.ravel().tolist()]  # fmt: skip


def _nbytes(blob: Any) -> int:
    return blob.nbytes if isinstance(blob, np.ndarray) else len(blob)
