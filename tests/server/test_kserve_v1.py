"""KServe V1 routes of a real `tiffin serve` of the iris example."""

from __future__ import annotations

import numpy as np

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]


def test_liveness_and_model_list(iris_server):
    assert iris_server.client.get("/").json() == {"status": "alive"}
    assert iris_server.client.get("/v1/models").json() == {"models": ["iris"]}


def test_model_ready(iris_server):
    response = iris_server.client.get("/v1/models/iris")
    assert response.status_code == 200
    assert response.json() == {"name": "iris", "ready": True}


def test_predict_instances(iris_server, iris_reference):
    response = iris_server.client.post("/v1/models/iris:predict", json={"instances": ROWS})
    assert response.status_code == 200
    assert response.json() == {"predictions": iris_reference.predict(np.array(ROWS)).tolist()}


def test_predict_inputs(iris_server, iris_reference):
    response = iris_server.client.post("/v1/models/iris:predict", json={"inputs": ROWS})
    assert response.json() == {"predictions": iris_reference.predict(np.array(ROWS)).tolist()}


def test_unknown_model_is_404(iris_server):
    for method, path in (("GET", "/v1/models/nope"), ("POST", "/v1/models/nope:predict")):
        response = iris_server.client.request(method, path, json={"instances": ROWS})
        assert response.status_code == 404
        assert response.json() == {"error": "model 'nope' does not exist"}


def test_the_model_is_also_served_as_model(iris_server, iris_reference):
    """KServe's servers call the model `model` unless told otherwise; so do its tutorials:

    curl -H 'Content-Type: application/json' -d '{"instances": [[0,0,0,0]]}' \\
         -X POST http://localhost:8080/v1/models/model:predict
    """
    response = iris_server.client.post(
        "/v1/models/model:predict",
        content=b'{"instances": [[0,0,0,0]]}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": iris_reference.predict([[0, 0, 0, 0]]).tolist()}
    assert iris_server.client.get("/v1/models/model").json() == {"name": "model", "ready": True}
    assert iris_server.client.get("/v1/models").json() == {"models": ["iris"]}
    v2 = {"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP64",
                      "data": [0, 0, 0, 0]}]}  # fmt: skip
    answer = iris_server.client.post("/v2/models/model/infer", json=v2)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outputs"][0]["data"] == iris_reference.predict([[0, 0, 0, 0]]).tolist()
    assert iris_server.client.get("/v2/models/model/ready").status_code == 200
    assert iris_server.client.get("/v2/models/model").json()["name"] == "iris"
