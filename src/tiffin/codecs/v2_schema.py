"""The Open Inference Protocol's ``inference_request`` schema, checked by hand.

The published REST schema (``open_inference_rest.yaml``) says::

    inference_request   {id: string, parameters: object,
                         inputs (required): [request_input], outputs: [request_output]}
    request_input       {name (required): string, shape (required): [integer],
                         datatype (required): string, parameters: object,
                         data (required): tensor_data}
    request_output      {name (required): string, parameters: object}

with ``datatype`` one of the protocol's tensor types, and ``data`` an array (of arrays,
numbers, strings or booleans). An input whose ``parameters`` carry
``binary_data_size`` (the binary tensor data extension) has its data after the JSON
and no ``data``. Every violation is reported at once, each with its path
(``outputs[0].name: expected a string, got a number``). The elements of ``data`` are
checked while the tensor is decoded (:mod:`tiffin.codecs.tensors`), where numpy reads
them anyway, so a large tensor is walked once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from tiffin.codecs.tensors import DATATYPES
from tiffin.errors import InvalidInput

__all__ = ["MAX_PROBLEMS", "check_inference_request", "request_problems"]

MAX_PROBLEMS = 10
"""Problems listed in one error; the rest are counted."""

_DATATYPES = ", ".join(DATATYPES)
_KINDS: dict[type, str] = {
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
    type(None): "null",
}
Problems = Iterator[str]


def check_inference_request(body: Any) -> None:
    """Raise :class:`InvalidInput` listing every way ``body`` breaks the schema."""
    problems = list(request_problems(body))
    if not problems:
        return
    shown = "; ".join(problems[:MAX_PROBLEMS])
    more = len(problems) - MAX_PROBLEMS
    suffix = f" (and {more} more)" if more > 0 else ""
    raise InvalidInput(
        f"invalid inference request: {shown}{suffix}",
        hint='see the Open Inference Protocol: {"inputs": [{"name", "shape", "datatype", '
        '"data"}], "outputs": [{"name"}], "id": "...", "parameters": {...}}',
    )


def request_problems(body: Any) -> Problems:
    """Each violation of ``inference_request`` in ``body``, as ``path: what is wrong``."""
    if not isinstance(body, dict):
        yield f"the body: expected a JSON object, got {_kind(body)}"
        return
    if "id" in body and not isinstance(body["id"], str):
        yield _expected("id", "a string", body["id"])
    yield from _optional_object(body, "parameters", "parameters")
    if "inputs" not in body:
        yield 'inputs: required (send {"inputs": [tensors]}, or {"instances": [rows]})'
    else:
        yield from _array(body["inputs"], "inputs", _input_problems)
    if "outputs" in body:
        yield from _array(body["outputs"], "outputs", _output_problems)


def _array(value: Any, path: str, item_problems: Callable[[Any, str], Problems]) -> Problems:
    if not isinstance(value, list):
        yield _expected(path, "an array", value)
        return
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        if isinstance(item, dict):
            yield from item_problems(item, where)
        else:
            yield _expected(where, "an object", item)


def _input_problems(tensor: dict[str, Any], path: str) -> Problems:
    yield from _name(tensor, path)
    yield from _shape(tensor, path)
    yield from _datatype(tensor, path)
    yield from _optional_object(tensor, "parameters", f"{path}.parameters")
    parameters = tensor.get("parameters")
    binary = isinstance(parameters, dict) and "binary_data_size" in parameters
    if "data" in tensor:
        if not isinstance(tensor["data"], list):
            yield _expected(f"{path}.data", "an array", tensor["data"])
    elif not binary:
        yield f"{path}.data: required (or parameters.binary_data_size, with binary data)"


def _output_problems(output: dict[str, Any], path: str) -> Problems:
    yield from _name(output, path)
    yield from _optional_object(output, "parameters", f"{path}.parameters")


def _name(item: dict[str, Any], path: str) -> Problems:
    if "name" not in item:
        yield f"{path}.name: required"
    elif not isinstance(item["name"], str):
        yield _expected(f"{path}.name", "a string", item["name"])


def _shape(tensor: dict[str, Any], path: str) -> Problems:
    if "shape" not in tensor:
        yield f"{path}.shape: required"
        return
    shape = tensor["shape"]
    if not isinstance(shape, list):
        yield _expected(f"{path}.shape", "an array of integers", shape)
        return
    for index, dim in enumerate(shape):
        if type(dim) is not int:
            yield _expected(f"{path}.shape[{index}]", "an integer", dim)
        elif dim < 0:
            yield f"{path}.shape[{index}]: expected a non-negative integer, got {dim}"


def _datatype(tensor: dict[str, Any], path: str) -> Problems:
    if "datatype" not in tensor:
        yield f"{path}.datatype: required"
        return
    datatype = tensor["datatype"]
    if not isinstance(datatype, str) or datatype not in DATATYPES:
        yield f"{path}.datatype: expected one of {_DATATYPES}, got {datatype!r}"


def _optional_object(item: dict[str, Any], key: str, path: str) -> Problems:
    if key in item and not isinstance(item[key], dict):
        yield _expected(path, "an object", item[key])


def _expected(path: str, what: str, value: Any) -> str:
    return f"{path}: expected {what}, got {_kind(value)}"


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), type(value).__name__)
