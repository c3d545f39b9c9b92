"""Open Inference Protocol V2 routes, with httpx and with the real tritonclient."""

from __future__ import annotations

import numpy as np
import pytest

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]


def infer_body(data, shape=(3, 4), datatype="FP64", **extra):
    return {
        "inputs": [{"name": "features", "shape": list(shape), "datatype": datatype, "data": data}],
        **extra,
    }


def test_server_metadata_and_health(iris_server):
    client = iris_server.client
    metadata = client.get("/v2").json()
    assert metadata["name"] == "tiffin"
    assert "binary_tensor_data" in metadata["extensions"]
    assert client.get("/v2/health/live").status_code == 200
    assert client.get("/v2/health/ready").status_code == 200


@pytest.mark.parametrize("prefix", ["/v2/models/iris", "/v2/models/iris/versions/1"])
def test_model_metadata_and_ready(iris_server, prefix):
    metadata = iris_server.client.get(prefix).json()
    assert metadata["name"] == "iris"
    assert metadata["versions"] == ["1"]
    assert metadata["inputs"] == [{"name": "features", "datatype": "FP64", "shape": [-1, 4]}]
    assert iris_server.client.get(prefix + "/ready").status_code == 200


@pytest.mark.parametrize("data", [ROWS, [x for row in ROWS for x in row]], ids=["nested", "flat"])
def test_infer_json(iris_server, iris_reference, data):
    body = infer_body(data, id="request-7")
    response = iris_server.client.post("/v2/models/iris/infer", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["id"] == "request-7"
    assert result["model_name"] == "iris"
    [output] = result["outputs"]
    assert output["name"] == "species"
    assert output["datatype"] == "INT64"
    assert output["shape"] == [3]
    assert output["data"] == iris_reference.predict(np.array(ROWS)).tolist()


def test_infer_on_a_versioned_path(iris_server):
    response = iris_server.client.post("/v2/models/iris/versions/1/infer", json=infer_body(ROWS))
    assert response.status_code == 200
    missing = iris_server.client.post("/v2/models/iris/versions/9/infer", json=infer_body(ROWS))
    assert missing.status_code == 404
    assert "version '9'" in missing.json()["error"]


def test_unknown_requested_output_is_400(iris_server):
    body = infer_body(ROWS, outputs=[{"name": "nope"}])
    response = iris_server.client.post("/v2/models/iris/infer", json=body)
    assert response.status_code == 400
    assert "nope" in response.json()["error"]


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_tritonclient_infer(iris_server, iris_reference, binary):
    import tritonclient.http as triton

    client = triton.InferenceServerClient(f"127.0.0.1:{iris_server.port}")
    try:
        assert client.is_server_live()
        assert client.is_model_ready("iris")
        features = np.array(ROWS, dtype=np.float64)
        tensor = triton.InferInput("features", list(features.shape), "FP64")
        tensor.set_data_from_numpy(features, binary_data=binary)
        requested = triton.InferRequestedOutput("species", binary_data=binary)
        result = client.infer(
            "iris",
            [tensor],
            outputs=[requested],
            request_id="triton-1",
            headers={"Content-Type": "application/json"} if not binary else None,
        )
        np.testing.assert_array_equal(result.as_numpy("species"), iris_reference.predict(features))
        assert result.get_response()["id"] == "triton-1"
    finally:
        client.close()


@pytest.mark.parametrize("name", ["iris", "model"])
def test_infer_with_instances_answers_predictions(iris_server, iris_reference, name):
    """KServe's V2 python server takes the V1 body on /infer too (as the KFServing seed posts)."""
    response = iris_server.client.post(f"/v2/models/{name}/infer", json={"instances": ROWS})
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": iris_reference.predict(np.array(ROWS)).tolist()}
    bad = iris_server.client.post(f"/v2/models/{name}/infer", json={"instances": 3})
    assert bad.status_code == 400
    assert "must be a list" in bad.json()["error"]


def test_infer_with_parameters_and_output_parameters(iris_server, iris_reference):
    output = {"name": "species", "parameters": {"binary_data": False}}
    body = infer_body(ROWS, parameters={"priority": 1}, outputs=[output])
    response = iris_server.client.post("/v2/models/iris/infer", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["outputs"][0]["data"] == iris_reference.predict(np.array(ROWS)).tolist()
