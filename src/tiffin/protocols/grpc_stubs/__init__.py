"""Generated protobuf and gRPC stubs of the Open Inference Protocol's gRPC service.

``open_inference_grpc_pb2`` (messages) and ``open_inference_grpc_pb2_grpc`` (the
``inference.GRPCInferenceService`` stub, servicer base and registration function) are
generated from ``proto/open_inference_grpc.proto`` by ``scripts/generate-grpc-stubs.sh``;
do not edit them. Their descriptors live in a private pool (``open_inference_grpc_pb2.POOL``),
so tiffin imports cleanly next to tritonclient or kserve, which register the same
``inference.*`` names in protobuf's default pool. They need the ``grpc`` extra
(``pip install 'tiffin[grpc]'``).
"""
