"""The floor of Python gRPC serving: the iris model behind a minimal ``grpc.aio`` servicer.

Loads the joblib model named by ``BENCH_MODEL_PATH`` and answers ``ModelInfer`` of the Open
Inference Protocol's gRPC service (tiffin's generated messages, nothing else of tiffin)
calling ``model.predict`` inline on the event loop (uvloop): FP64 features in, raw or typed
as the request sends them, INT64 predictions out the same way. No validation, names,
metrics, health or timeouts. ``ServerReady`` answers once the model is loaded::

    BENCH_MODEL_PATH=/tmp/iris/model/model.joblib python bench/grpc_baseline.py 9001
"""

from __future__ import annotations

import os
import sys

import grpc
import joblib
import numpy as np
import uvloop

from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2 as pb
from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2_grpc as pb_grpc


class Baseline(pb_grpc.GRPCInferenceServiceServicer):
    """ServerReady and ModelInfer, the minimum."""

    def __init__(self, model: object) -> None:
        self.model = model

    async def ServerReady(self, request: pb.ServerReadyRequest, context: object):
        return pb.ServerReadyResponse(ready=True)

    async def ModelInfer(self, request: pb.ModelInferRequest, context: object):
        tensor = request.inputs[0]
        if request.raw_input_contents:
            features = np.frombuffer(request.raw_input_contents[0], dtype="<f8")
        else:
            features = np.asarray(tensor.contents.fp64_contents, dtype=np.float64)
        result = self.model.predict(features.reshape(list(tensor.shape)))
        response = pb.ModelInferResponse(model_name=request.model_name, id=request.id)
        output = response.outputs.add(name="species", datatype="INT64", shape=result.shape)
        if request.raw_input_contents:
            response.raw_output_contents.append(result.astype("<i8").tobytes())
        else:
            output.contents.int64_contents.extend(result.tolist())
        return response


async def serve(port: int) -> None:
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    pb_grpc.add_GRPCInferenceServiceServicer_to_server(
        Baseline(joblib.load(os.environ["BENCH_MODEL_PATH"])), server
    )
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    uvloop.run(serve(int(sys.argv[1])))
