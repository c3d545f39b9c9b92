"""SageMaker hosting routes of a real `tiffin serve` of the iris example."""

from __future__ import annotations

import io
import json

import numpy as np

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]


def test_ping_is_200_once_loaded(iris_server):
    assert iris_server.client.get("/ping").status_code == 200


def test_json_in_json_out_matches_the_model(iris_server, iris_reference):
    response = iris_server.client.post("/invocations", json=ROWS)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == iris_reference.predict(np.array(ROWS)).tolist()


def test_csv_in(iris_server, iris_reference):
    body = "\n".join(",".join(map(str, row)) for row in ROWS) + "\n"
    response = iris_server.client.post(
        "/invocations", content=body, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200
    assert response.json() == iris_reference.predict(np.array(ROWS)).tolist()


def test_npy_in_npy_out(iris_server, iris_reference):
    buffer = io.BytesIO()
    np.save(buffer, np.array(ROWS, dtype=np.float32))
    response = iris_server.client.post(
        "/invocations",
        content=buffer.getvalue(),
        headers={"Content-Type": "application/x-npy", "Accept": "application/x-npy"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-npy"
    result = np.load(io.BytesIO(response.content))
    np.testing.assert_array_equal(result, iris_reference.predict(np.array(ROWS)))


def test_jsonlines_in_csv_out(iris_server, iris_reference):
    body = "\n".join(json.dumps(row) for row in ROWS)
    response = iris_server.client.post(
        "/invocations",
        content=body,
        headers={"Content-Type": "application/jsonlines", "Accept": "text/csv"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    expected = iris_reference.predict(np.array(ROWS)).tolist()
    assert [int(line) for line in response.text.split()] == expected


def test_accept_with_quality_values_picks_the_best_supported(iris_server):
    response = iris_server.client.post(
        "/invocations",
        json=ROWS,
        headers={"Accept": "image/png;q=1.0, application/jsonlines;q=0.9, */*;q=0.1"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jsonlines"
    assert len(response.text.strip().splitlines()) == len(ROWS)


def test_custom_attributes_are_echoed(iris_server):
    headers = {"X-Amzn-SageMaker-Custom-Attributes": "trace=abc-123"}
    response = iris_server.client.post("/invocations", json=ROWS, headers=headers)
    assert response.headers["x-amzn-sagemaker-custom-attributes"] == "trace=abc-123"


def test_execution_parameters(iris_server):
    response = iris_server.client.get("/execution-parameters")
    assert response.status_code == 200
    assert response.json() == {
        "MaxConcurrentTransforms": 1,
        "BatchStrategy": "MULTI_RECORD",
        "MaxPayloadInMB": 16,
    }
