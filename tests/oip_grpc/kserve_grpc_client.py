"""Call every RPC of a tiffin server's gRPC port with kserve's own InferenceGRPCClient.

Run by kserve's interpreter (.venv-kserve), not pytest's: kserve's stubs and tritonclient's
both register the ``inference`` protobuf package in the default pool.

    python kserve_grpc_client.py HOST:PORT MODEL ROWS_JSON

Prints one JSON object on its last line: what each call answered.
"""

from __future__ import annotations

import asyncio
import json
import sys

import grpc
import numpy as np
from kserve import InferenceGRPCClient, InferInput, InferRequest
from kserve.protocol.grpc import grpc_predict_v2_pb2 as pb


async def main(target: str, model: str, rows: list[list[float]]) -> dict:
    features = np.asarray(rows, dtype=np.float64)
    async with InferenceGRPCClient(target, retries=0, timeout=30) as client:
        found: dict = {
            "live": await client.is_server_live(),
            "ready": await client.is_server_ready(),
            "model_ready": await client.is_model_ready(model),
        }
        server = await client._client_stub.ServerMetadata(pb.ServerMetadataRequest())
        found["server_name"] = server.name
        metadata = await client._client_stub.ModelMetadata(pb.ModelMetadataRequest(name=model))
        found["model_metadata"] = {
            "name": metadata.name,
            "versions": list(metadata.versions),
            "inputs": [[t.name, t.datatype, list(t.shape)] for t in metadata.inputs],
        }

        raw = InferInput("features", list(features.shape), "FP64")
        raw.set_data_from_numpy(features, binary_data=True)
        answer = await client.infer(InferRequest(model, [raw], request_id="kserve-raw"))
        found["raw"] = {"id": answer.id, "outputs": outputs_of(answer)}

        typed = InferInput("features", list(features.shape), "FP64",
                           data=features.ravel().tolist())  # fmt: skip
        answer = await client.infer(InferRequest(model, [typed], request_id="kserve-typed"))
        found["typed"] = {"id": answer.id, "outputs": outputs_of(answer)}

        try:
            await client.infer(InferRequest("nope", [raw]))
            found["unknown_model"] = "no error"
        except grpc.RpcError as exc:
            found["unknown_model"] = {"code": exc.code().name, "details": exc.details()}
        found["live_after"] = await client.is_server_live()
    return found


def outputs_of(answer) -> list:
    return [[o.name, o.datatype, list(o.shape), o.as_numpy().tolist()] for o in answer.outputs]


if __name__ == "__main__":
    target, model, rows = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    print(json.dumps(asyncio.run(main(target, model, rows))))
