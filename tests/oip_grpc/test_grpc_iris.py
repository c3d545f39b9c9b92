"""End-to-end: the iris example's `tiffin serve` answers every RPC of the Open Inference
Protocol's gRPC service through tritonclient.grpc, with the answers REST gives, and maps
every failure to its gRPC status while it goes on serving."""

from __future__ import annotations

import json

import grpc
import numpy as np
import pytest
from google.protobuf import descriptor_pool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_helpers import raw_input, rpc_error, stub, triton, triton_error, typed_request
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from tritonclient.grpc import service_pb2

pytestmark = pytest.mark.slow

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]
FLAT = [x for row in ROWS for x in row]


def rest_species(iris_server) -> list[int]:
    tensor = {"name": "features", "shape": [3, 4], "datatype": "FP64", "data": FLAT}
    answer = iris_server.client.post("/v2/models/iris/infer", json={"inputs": [tensor]})
    assert answer.status_code == 200, answer.text
    return answer.json()["outputs"][0]["data"]


def test_health_and_metadata_rpcs(iris_server) -> None:
    with triton(iris_server) as client:
        assert client.is_server_live()
        assert client.is_server_ready()
        assert client.is_model_ready("iris")
        assert client.is_model_ready("iris", "1")
        assert client.is_model_ready("model")  # KServe's default name reaches the model too
        server = client.get_server_metadata(as_json=True)
        assert server["name"] == "tiffin" and server["version"]
        model = client.get_model_metadata("iris", as_json=True)
    rest = iris_server.client.get("/v2/models/iris").json()
    assert model["name"] == rest["name"] == "iris"
    assert model["versions"] == rest["versions"] == ["1"]
    assert model["platform"] == rest["platform"]
    assert model["inputs"] == [{"name": "features", "datatype": "FP64", "shape": ["-1", "4"]}]
    assert model["outputs"] == [{"name": "species", "datatype": "INT64", "shape": ["-1"]}]


def test_raw_contents_answer_raw_as_rest_does(iris_server, iris_reference) -> None:
    features = np.asarray(ROWS, dtype=np.float64)
    with triton(iris_server) as client:
        result = client.infer("iris", [raw_input("features", features, "FP64")],
                              request_id="req-7")  # fmt: skip
    response = result.get_response()
    assert response.id == "req-7"
    assert response.model_name == "iris" and response.model_version == "1"
    assert len(response.raw_output_contents) == 1
    (output,) = response.outputs
    assert (output.name, output.datatype, list(output.shape)) == ("species", "INT64", [3])
    species = result.as_numpy("species").tolist()
    assert species == rest_species(iris_server) == iris_reference.predict(features).tolist()


def test_typed_contents_answer_typed_as_rest_does(iris_server, iris_reference) -> None:
    request = typed_request("iris", ("features", "FP64", [3, 4], FLAT), id="typed-1")
    with stub(iris_server) as service:
        response = service.ModelInfer(request)
    assert response.id == "typed-1"
    assert not response.raw_output_contents
    (output,) = response.outputs
    assert output.datatype == "INT64"
    expected = iris_reference.predict(np.asarray(ROWS)).tolist()
    assert list(output.contents.int64_contents) == expected == rest_species(iris_server)


def test_binary_data_output_parameter_picks_raw_or_typed(iris_server) -> None:
    request = typed_request("iris", ("features", "FP64", [3, 4], FLAT))
    request.parameters["binary_data_output"].bool_param = True
    with stub(iris_server) as service:
        raw = service.ModelInfer(request)
        assert np.frombuffer(raw.raw_output_contents[0], "<i8").tolist() == rest_species(
            iris_server
        )
        request.parameters.clear()
        wanted = request.outputs.add(name="species")
        wanted.parameters["binary_data"].bool_param = True
        assert len(service.ModelInfer(request).raw_output_contents) == 1
        wanted.name = "nope"
        error = rpc_error(service.ModelInfer, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "requested output 'nope' does not exist" in error.details()
    raw_request = service_pb2.ModelInferRequest(model_name="iris")  # raw in, typed out
    raw_request.inputs.add(name="features", datatype="FP64", shape=[3, 4])
    raw_request.raw_input_contents.append(np.asarray(ROWS, dtype="<f8").tobytes())
    raw_request.parameters["binary_data_output"].bool_param = False
    with stub(iris_server) as service:
        response = service.ModelInfer(raw_request)
    assert not response.raw_output_contents
    assert list(response.outputs[0].contents.int64_contents) == rest_species(iris_server)


def test_the_model_alias_and_version_are_served(iris_server) -> None:
    with stub(iris_server) as service:
        for name, version in (("model", ""), ("iris", "1")):
            request = typed_request(name, ("features", "FP64", [1, 4], ROWS[0]),
                                    model_version=version)  # fmt: skip
            response = service.ModelInfer(request)
            assert response.model_name == name
        error = rpc_error(service.ModelInfer,
                          typed_request("iris", ("features", "FP64", [1, 4], ROWS[0]),
                                        model_version="2"))  # fmt: skip
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert json.loads(error.details()) == {"error": "model 'iris' version '2' does not exist"}


BAD_REQUESTS = [
    pytest.param(typed_request("iris", ("features", "FP99", [1, 4], [])),
                 "unknown datatype 'FP99' for input 'features'", id="unknown-datatype"),
    pytest.param(typed_request("iris", ("features", "FP64", [2, 3], ROWS[0])),
                 "input 'features' has 4 elements but shape [2, 3] needs 6", id="wrong-shape"),
    pytest.param(typed_request("iris", ("features", "FP64", [1, -4], ROWS[0])),
                 "input 'features' has shape [1, -4]", id="negative-shape"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "message"), BAD_REQUESTS)
def test_bad_typed_requests_are_invalid_argument(iris_server, request_, message) -> None:
    with stub(iris_server) as service:
        error = rpc_error(service.ModelInfer, request_)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert message in json.loads(error.details())["error"]
        assert service.ServerLive(service_pb2.ServerLiveRequest()).live


def test_typed_data_in_another_datatypes_field_is_invalid(iris_server) -> None:
    request = typed_request("iris", ("features", "FP64", [1, 4], []))
    request.inputs[0].contents.fp32_contents.extend(ROWS[0])
    with stub(iris_server) as service:
        error = rpc_error(service.ModelInfer, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "is FP64 but its data is in contents.fp32_contents" in error.details()


def test_raw_byte_length_mismatch_is_invalid_argument(iris_server) -> None:
    request = service_pb2.ModelInferRequest(model_name="iris")
    request.inputs.add(name="features", datatype="FP64", shape=[1, 4])
    request.raw_input_contents.append(np.asarray(ROWS[0][:3], dtype="<f8").tobytes())
    with stub(iris_server) as service:
        error = rpc_error(service.ModelInfer, request)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert (
            "input 'features' has 24 bytes of binary data but shape [1, 4] of FP64 needs 32"
            in error.details()
        )
        request.raw_input_contents.append(b"")
        error = rpc_error(service.ModelInfer, request)
        assert "the request has 2 raw_input_contents for 1 inputs" in error.details()
        assert service.ServerReady(service_pb2.ServerReadyRequest()).ready


def test_unknown_model_is_not_found_on_every_model_rpc(iris_server) -> None:
    features = np.asarray(ROWS, dtype=np.float64)
    with triton(iris_server) as client:
        for call, args in ((client.infer, ("nope", [raw_input("features", features, "FP64")])),
                           (client.is_model_ready, ("nope",)),
                           (client.get_model_metadata, ("nope",))):  # fmt: skip
            error = triton_error(call, *args)
            assert error.status() == "StatusCode.NOT_FOUND"
            assert json.loads(error.message()) == {"error": "model 'nope' does not exist"}
        assert client.is_server_live()


def test_a_model_exception_is_internal_with_its_message_only(iris_server) -> None:
    features = np.ones((1, 3))  # the model wants 4 features: scikit-learn raises
    with triton(iris_server) as client:
        error = triton_error(client.infer, "iris", [raw_input("features", features, "FP64")])
        assert error.status() == "StatusCode.INTERNAL"
        body = json.loads(error.message())
        assert body["error"].startswith("predict raised ValueError: X has 3 features")
        assert "Traceback" not in error.message()
        assert client.is_server_ready()
    assert "Traceback" in iris_server.log  # the traceback goes to the server's log only


def test_grpc_calls_are_counted_in_the_metrics(iris_server) -> None:
    def count(status: str) -> float:
        text = iris_server.client.get("/metrics").text
        line = f'tiffin_requests_total{{protocol="oip_v2_grpc",status="{status}"}} '
        found = [row for row in text.splitlines() if row.startswith(line)]
        return float(found[0].split()[-1]) if found else 0.0

    ok, invalid = count("OK"), count("INVALID_ARGUMENT")
    with stub(iris_server) as service:
        service.ModelInfer(typed_request("iris", ("features", "FP64", [1, 4], ROWS[0])))
        rpc_error(service.ModelInfer, typed_request("iris", ("features", "FP64", [9], [])))
    assert count("OK") == ok + 1
    assert count("INVALID_ARGUMENT") == invalid + 1


def test_reflection_describes_every_service(iris_server) -> None:
    """What grpcurl and Postman read: the services and their messages, by name."""
    with grpc.insecure_channel(iris_server.grpc_target) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        assert sorted(database.get_services()) == [
            "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection",
            "inference.GRPCInferenceService",
        ]
        pool = descriptor_pool.DescriptorPool(database)
        service = pool.FindServiceByName("inference.GRPCInferenceService")
        assert [m.name for m in service.methods] == [
            "ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata",
            "ModelInfer",
        ]  # fmt: skip
        infer = pool.FindMessageTypeByName("inference.ModelInferRequest")
        assert "raw_input_contents" in infer.fields_by_name


def test_grpc_health_says_serving(iris_server) -> None:
    with grpc.insecure_channel(iris_server.grpc_target) as channel:
        checker = health_pb2_grpc.HealthStub(channel)
        for name in ("", "inference.GRPCInferenceService"):
            answer = checker.Check(health_pb2.HealthCheckRequest(service=name))
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        error = rpc_error(checker.Check, health_pb2.HealthCheckRequest(service="nope"))
        assert error.code() == grpc.StatusCode.NOT_FOUND
