"""Helpers of the gRPC tests: clients, typed and raw requests, and status checks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from servers import Server

MODELS = Path(__file__).resolve().parent / "models"
TENSORS = MODELS / "tensors.py"
TYPED_FIELD = {"FP64": "fp64_contents", "FP32": "fp32_contents", "INT64": "int64_contents",
               "INT32": "int_contents", "BOOL": "bool_contents", "BYTES": "bytes_contents",
               "UINT8": "uint_contents"}  # fmt: skip


@contextmanager
def triton(server: Server) -> Iterator[grpcclient.InferenceServerClient]:
    """tritonclient's gRPC client on ``server``'s gRPC port, closed on exit."""
    client = grpcclient.InferenceServerClient(server.grpc_target)
    try:
        yield client
    finally:
        client.close()


@contextmanager
def stub(server: Server) -> Iterator[service_pb2_grpc.GRPCInferenceServiceStub]:
    """tritonclient's generated stub, for requests built by hand (typed contents)."""
    with grpc.insecure_channel(server.grpc_target) as channel:
        yield service_pb2_grpc.GRPCInferenceServiceStub(channel)


def raw_input(name: str, array: np.ndarray, datatype: str) -> grpcclient.InferInput:
    """An input whose data tritonclient sends as raw_input_contents."""
    tensor = grpcclient.InferInput(name, list(array.shape), datatype)
    tensor.set_data_from_numpy(array)
    return tensor


def typed_request(model: str, *tensors: tuple[str, str, list[int], list[Any]], **fields: Any):
    """A ModelInferRequest with typed contents: ``(name, datatype, shape, values)`` each."""
    request = service_pb2.ModelInferRequest(model_name=model, **fields)
    for name, datatype, shape, values in tensors:
        tensor = request.inputs.add(name=name, datatype=datatype, shape=shape)
        if values:
            getattr(tensor.contents, TYPED_FIELD[datatype]).extend(values)
    return request


def rpc_error(call: Any, *args: Any, **kwargs: Any) -> grpc.RpcError:
    """The RpcError that ``call(*args)`` raises (it must raise one)."""
    with pytest.raises(grpc.RpcError) as caught:
        call(*args, **kwargs)
    return caught.value


def triton_error(call: Any, *args: Any, **kwargs: Any) -> InferenceServerException:
    """The InferenceServerException that a tritonclient call raises (it must raise one)."""
    with pytest.raises(InferenceServerException) as caught:
        call(*args, **kwargs)
    return caught.value


def wait_grpc_live(server: Server, timeout: float = 60) -> None:
    """Wait until the gRPC port answers ServerLive (it does before the model is loaded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"server exited {server.process.returncode}:\n{server.log}")
        try:
            with triton(server) as client:
                if client.is_server_live():
                    return
        except InferenceServerException:
            pass
        time.sleep(0.05)
    raise AssertionError(f"gRPC not live after {timeout}s:\n{server.log}")
