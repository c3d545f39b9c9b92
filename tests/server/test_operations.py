"""Operations routes: /metrics, /healthz and the OpenAPI document."""

from __future__ import annotations

import re


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus exposition text (0 if absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_errors_and_latency_by_protocol(iris_server):
    client = iris_server.client
    before = client.get("/metrics").text
    for _ in range(3):
        assert client.post("/v1/models/iris:predict", json={"instances": [[1, 2, 3, 4]]}).is_success
    assert client.post("/v1/models/iris:predict", content=b"{oops").status_code == 400
    assert (
        client.post("/invocations", content=b"x", headers={"Content-Type": "image/png"}).status_code
        == 415
    )
    after = client.get("/metrics")
    assert after.status_code == 200
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text

    def delta(name, **labels):
        return metric(text, name, **labels) - metric(before, name, **labels)

    assert delta("tiffin_requests_total", protocol="kserve_v1", status="200") == 3
    assert delta("tiffin_requests_total", protocol="kserve_v1", status="400") == 1
    assert delta("tiffin_request_errors_total", protocol="kserve_v1", status="400") == 1
    assert delta("tiffin_request_errors_total", protocol="sagemaker", status="415") == 1
    assert delta("tiffin_request_duration_seconds_count", protocol="kserve_v1") == 4
    assert metric(text, "tiffin_model_load_seconds", model="iris") > 0


def test_healthz(iris_server):
    assert iris_server.client.get("/healthz").json() == {
        "live": True,
        "ready": True,
        "model": "iris",
        "state": "ready",
    }


def test_openapi_document_lists_every_protocol(iris_server):
    document = iris_server.client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in (
        "/ping",
        "/invocations",
        "/execution-parameters",
        "/v1/models/{name}:predict",
        "/v1/models/{name}:predict_binary",
        "/v2/models/{name}/infer",
        "/v2/models/{name}/versions/{version}/infer",
        "/api/ml/predict",
        "/metrics",
    ):
        assert path in paths, path
    assert "text/csv" in paths["/invocations"]["post"]["requestBody"]["content"]
