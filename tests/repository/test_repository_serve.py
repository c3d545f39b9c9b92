"""A repository of three models of different frameworks (scikit-learn, xgboost, plain
Python) and one broken model, served by one real `tiffin serve` over every protocol."""

from __future__ import annotations

from pathlib import Path

import httpx
import msgpack
import numpy as np
import pytest
import tritonclient.grpc as triton_grpc
from tritonclient.utils import InferenceServerException

from servers import FIXTURES, Server, start_server
from tiffin.codecs import decoder_for

MSGPACK = decoder_for("application/x-msgpack")
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
WORKING = ("iris", "boost", "doubler")


def expected(name: str, iris_reference) -> list:
    """What each model answers for ROWS."""
    if name == "doubler":
        return (np.asarray(ROWS) * 2).tolist()
    if name == "iris":
        return iris_reference.predict(ROWS).tolist()
    return [0, 2]  # the xgboost classifier's species of the two flowers


def test_the_index_lists_every_model_and_why_one_failed(repo_server: Server) -> None:
    index = repo_server.client.post("/v2/repository/index").json()
    states = {entry["name"]: (entry["state"], entry["version"]) for entry in index}
    assert states == {"boost": ("READY", "1"), "doubler": ("READY", "3"),
                      "iris": ("READY", "1"), "broken": ("UNAVAILABLE", "1")}  # fmt: skip
    (broken,) = [entry for entry in index if entry["name"] == "broken"]
    assert broken["reason"].startswith("failed to load: ")
    assert "weights.bin is missing" in broken["reason"]
    ready = repo_server.client.post("/v2/repository/index", json={"ready": True}).json()
    assert sorted(entry["name"] for entry in ready) == ["boost", "doubler", "iris"]


def test_the_console_shows_every_model_and_the_failure(repo_server: Server) -> None:
    models = {m["name"]: m for m in repo_server.client.get("/console/api/models").json()["models"]}
    assert sorted(models) == ["boost", "broken", "doubler", "iris"]
    assert models["broken"]["state"] == "failed"
    assert "weights.bin is missing" in models["broken"]["error"]["message"]
    assert {models[name]["state"] for name in WORKING} == {"ready"}
    assert models["iris"]["example_input"] == [[5.1, 3.5, 1.4, 0.2]]
    assert models["doubler"]["version"] == "3" and models["doubler"]["aliases"] == []


def test_server_and_model_readiness(repo_server: Server) -> None:
    client = repo_server.client
    assert client.get("/ping").status_code == 200
    assert client.get("/v2/health/ready").status_code == 200
    assert sorted(client.get("/v1/models").json()["models"]) == ["boost", "broken", "doubler",
                                                                   "iris"]  # fmt: skip
    for name in WORKING:
        assert client.get(f"/v2/models/{name}/ready").status_code == 200
        assert client.get(f"/v1/models/{name}").json() == {"name": name, "ready": True}
    failed = client.get("/v2/models/broken/ready")
    assert failed.status_code == 503 and "weights.bin is missing" in failed.json()["error"]


@pytest.mark.parametrize("name", WORKING)
def test_each_model_over_every_http_protocol(repo_server: Server, iris_reference, name) -> None:
    client, want = repo_server.client, expected(name, iris_reference)
    target = {"X-Amzn-SageMaker-Target-Model": f"{name}.tar.gz"}
    assert client.post("/invocations", json=ROWS, headers=target).json() == want
    assert client.post(f"/models/{name}/invoke", json=ROWS).json() == want
    v1 = client.post(f"/v1/models/{name}:predict", json={"instances": ROWS})
    assert v1.json() == {"predictions": want}
    tensor = {"name": "features", "datatype": "FP64", "shape": [2, 4], "data": ROWS}
    v2 = client.post(f"/v2/models/{name}/infer", json={"inputs": [tensor]}).json()
    assert v2["model_name"] == name
    (output,) = v2["outputs"]
    assert np.reshape(output["data"], output["shape"]).tolist() == want
    packed = client.post(f"/v1/models/{name}:predict_binary", content=msgpack.packb(
        {"instances": ROWS}), headers={"Content-Type": "application/x-msgpack"})  # fmt: skip
    assert np.asarray(MSGPACK.decode(packed.content)["predictions"]).tolist() == want


def test_each_model_over_grpc(repo_server: Server, iris_reference) -> None:
    client = triton_grpc.InferenceServerClient(repo_server.grpc_target)
    try:
        assert client.is_server_ready()
        for name in WORKING:
            assert client.is_model_ready(name)
            assert client.get_model_metadata(name).name == name
            features = np.asarray(ROWS, dtype=np.float64)
            tensor = triton_grpc.InferInput("features", list(features.shape), "FP64")
            tensor.set_data_from_numpy(features)
            result = client.infer(name, [tensor])
            (output,) = result.get_response().outputs
            assert result.as_numpy(output.name).tolist() == expected(name, iris_reference)
        assert not client.is_model_ready("broken")
        with pytest.raises(InferenceServerException) as unknown:
            client.infer("nope", [tensor])
        assert "StatusCode.NOT_FOUND" in str(unknown.value)
        assert "served: boost, broken, doubler, iris" in str(unknown.value)
    finally:
        client.close()


def test_an_unknown_model_is_404_naming_the_served_ones(repo_server: Server) -> None:
    client = repo_server.client
    for answer in (
        client.post("/v1/models/nope:predict", json={"instances": ROWS}),
        client.post("/v2/models/nope/infer", json={"inputs": []}),
        client.post("/invocations", json=ROWS, headers={"X-Amzn-SageMaker-Target-Model": "nope"}),
        client.post("/models/nope/invoke", json=ROWS),
    ):
        assert answer.status_code == 404
        assert answer.json()["error"] == (
            "model 'nope' does not exist; served: boost, broken, doubler, iris"
        )


def test_invocations_without_a_target_model_say_which_header(repo_server: Server) -> None:
    answer = repo_server.client.post("/invocations", json=ROWS)
    assert answer.status_code == 400
    assert "X-Amzn-SageMaker-Target-Model" in answer.json()["hint"]
    assert "serves several models" in answer.json()["error"]


def test_the_broken_model_answers_503_with_its_reason(repo_server: Server) -> None:
    answer = repo_server.client.post("/v1/models/broken:predict", json={"instances": ROWS})
    assert answer.status_code == 503
    assert "weights.bin is missing" in answer.json()["error"]


def test_unload_and_load_with_the_repository_extension(repo_server: Server) -> None:
    client = repo_server.client
    predict = lambda: client.post("/v1/models/doubler:predict", json={"instances": ROWS})  # noqa: E731
    unloaded = client.post("/v2/repository/models/doubler/unload")
    assert unloaded.json() == {"name": "doubler", "unload": True}
    assert _state(client, "doubler") == ("UNAVAILABLE", "unloaded")
    assert predict().status_code == 404
    assert "doubler" not in client.get("/v1/models").json()["models"]
    assert client.post("/v2/models/iris/infer", json=_v2_body()).status_code == 200
    loaded = client.post("/v2/repository/models/doubler/load")
    assert loaded.json() == {"name": "doubler", "load": True}
    assert _state(client, "doubler") == ("READY", "")
    assert predict().json() == {"predictions": (np.asarray(ROWS) * 2).tolist()}
    again = client.post("/v2/repository/models/broken/load")
    assert again.status_code == 503 and "weights.bin is missing" in again.json()["error"]
    assert client.post("/v2/repository/models/nope/load").status_code == 404


def test_load_invoke_and_delete_with_sagemaker_multi_model_routes(repo_server: Server) -> None:
    client = repo_server.client
    url = str(FIXTURES / "repository" / "doubler")
    added = client.post("/models", json={"model_name": "twice", "url": url})
    assert added.status_code == 200, added.text
    assert {"modelName": "twice", "modelUrl": url} in client.get("/models").json()["models"]
    assert client.get("/models/twice").json() == {"modelName": "twice", "modelUrl": url}
    assert client.post("/models/twice/invoke", json=[[1.5]]).json() == [[3.0]]
    target = {"X-Amzn-SageMaker-Target-Model": "twice"}
    assert client.post("/invocations", json=[[2]], headers=target).json() == [[4.0]]
    assert client.post("/models", json={"model_name": "twice", "url": url}).status_code == 409
    assert client.delete("/models/twice").status_code == 200
    assert client.get("/models/twice").status_code == 404
    assert client.delete("/models/twice").status_code == 404
    assert client.post("/models", json={"model_name": "x"}).status_code == 400


def test_metrics_carry_each_model(repo_server: Server) -> None:
    text = repo_server.client.get("/metrics").text
    for name in WORKING:
        assert f'tiffin_model_load_seconds{{model="{name}"}}' in text
        assert (
            f'tiffin_model_requests_total{{model="{name}",protocol="kserve_v1",status="200"}}'
            in text
        )
    assert 'tiffin_model_requests_total{model="nope"' not in text  # unknown names: no series


def _state(client: httpx.Client, name: str) -> tuple[str, str]:
    (entry,) = [e for e in client.post("/v2/repository/index").json() if e["name"] == name]
    return entry["state"], entry["reason"]


def _v2_body() -> dict:
    return {"inputs": [{"name": "x", "datatype": "FP64", "shape": [2, 4], "data": ROWS}]}


def test_a_multi_model_endpoint_starts_empty_and_loads_at_run_time(tmp_path: Path) -> None:
    empty = tmp_path / "models"
    empty.mkdir()
    server = start_server(empty, tmp_path, "--no-grpc", env={"SAGEMAKER_MULTI_MODEL": "true"})
    try:
        server.wait_ready()  # an empty repository is ready: SageMaker pings before loading
        client = server.client
        assert client.get("/models").json() == {"models": []}
        url = str(FIXTURES / "repository" / "doubler")
        assert client.post("/models", json={"model_name": "d", "url": url}).status_code == 200
        assert client.post("/models/d/invoke", json=[[1]]).json() == [[2.0]]
        broken = str(FIXTURES / "repository" / "broken")
        failed = client.post("/models", json={"model_name": "b", "url": broken})
        assert failed.status_code == 503 and "weights.bin is missing" in failed.json()["error"]
        assert client.get("/ping").status_code == 200
    finally:
        server.stop()
