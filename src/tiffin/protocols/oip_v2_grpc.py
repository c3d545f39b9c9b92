"""Open Inference Protocol V2 over gRPC: ``inference.GRPCInferenceService`` over the dataplane.

Each RPC converts its request (:mod:`tiffin.protocols.grpc_tensors`), delegates to the
:class:`~tiffin.inference.dataplane.DataPlane` of the model it names (looked up in the
:class:`~tiffin.inference.repository.ModelRepository` REST uses too), and converts back.
Failures are tiffin's own errors (``InvalidInput``, ``ModelNotFound``...): the server
maps them to gRPC status codes with the same table that maps them to HTTP statuses
(``tiffin.server.errors``).

ModelInfer answers with raw contents when the request used ``raw_input_contents`` (as
Triton does), typed contents otherwise; a request parameter ``binary_data_output`` or
an output's ``binary_data`` parameter (bools, as in the REST binary extension) override
that. The request's ``id`` is echoed; a request without one gets a new id, which its
event (with Kafka configured) carries too.
"""

from __future__ import annotations

import random
from typing import Any

from tiffin.inference.repository import ModelRepository
from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2 as pb
from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2_grpc as pb_grpc
from tiffin.protocols.grpc_tensors import (
    decode_inputs,
    infer_response,
    model_metadata,
    parameters_of,
)
from tiffin.protocols.oip_common import model_payload, named_outputs, select_outputs

PROTOCOL = "oip_v2_grpc"
"""The protocol label of gRPC requests in the metrics."""
SERVICE_NAME: str = pb.DESCRIPTOR.services_by_name["GRPCInferenceService"].full_name
RPCS = ("ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata",
        "ModelInfer")  # fmt: skip


class InferenceServicer(pb_grpc.GRPCInferenceServiceServicer):
    """The six RPCs of the service, each a coroutine over the served models."""

    def __init__(self, models: ModelRepository) -> None:
        self.models = models

    async def ServerLive(self, request: Any, context: Any) -> Any:
        """Always live while the process answers."""
        return pb.ServerLiveResponse(live=True)

    async def ServerReady(self, request: Any, context: Any) -> Any:
        """Ready once the models have loaded (:attr:`ModelRepository.ready`)."""
        return pb.ServerReadyResponse(ready=self.models.ready)

    async def ModelReady(self, request: Any, context: Any) -> Any:
        """Ready once loaded; an unknown name or version is NOT_FOUND."""
        return pb.ModelReadyResponse(
            ready=self.models.model_ready(request.name, request.version or None)
        )

    async def ServerMetadata(self, request: Any, context: Any) -> Any:
        """The server's name, version and extensions."""
        return pb.ServerMetadataResponse(**self.models.server_metadata())

    async def ModelMetadata(self, request: Any, context: Any) -> Any:
        """The model's name, versions, platform and tensors."""
        name, version = request.name, request.version or None
        return model_metadata(self.models.lookup(name, version).model_metadata(name, version))

    async def ModelInfer(self, request: Any, context: Any) -> Any:
        """Decode the inputs, run the model, encode the requested outputs."""
        dp = self.models.lookup(request.model_name, request.model_version or None)
        request_id = request.id or f"{random.getrandbits(128):032x}"
        result = await dp.infer(model_payload(decode_inputs(request)), request_id=request_id)
        parameters = parameters_of(request.parameters)
        everything_binary = bool(
            parameters.get("binary_data_output", bool(request.raw_input_contents))
        )
        requested = [{"name": item.name, "parameters": parameters_of(item.parameters)}
                     for item in request.outputs]  # fmt: skip
        outputs, binary = select_outputs(
            named_outputs(result, dp.outputs), requested, everything_binary
        )
        return infer_response(request.model_name, dp.version, request_id, outputs,
                              raw=bool(binary))  # fmt: skip
