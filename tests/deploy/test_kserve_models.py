"""The golden manifests load into kserve's own Python models, and come back unchanged.

kserve runs in its own interpreter (.venv-kserve, see kserve_env.py): kserve_load.py
deserializes each InferenceService into ``kserve.V1beta1InferenceService`` with kserve's
ApiClient, and the raw objects into the kubernetes client's models, then reads fields
back and serializes each model again. A field kserve's models did not know would be
missing from that second serialization.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kserve_helpers import GOLDEN, HERE, documents

from kserve_env import requires_kserve, run_kserve_script

pytestmark = requires_kserve
SCRIPT = HERE / "kserve_load.py"


@pytest.fixture(scope="module")
def loaded() -> dict[tuple[str, str], dict[str, Any]]:
    paths = sorted(GOLDEN.glob("kserve-*.yaml"))
    found = run_kserve_script(SCRIPT, *map(str, paths))
    return {(Path(item["file"]).stem, item["kind"]): item for item in found}


def manifests() -> list[tuple[str, dict[str, Any]]]:
    return [
        (path.stem, doc)
        for path in sorted(GOLDEN.glob("kserve-*.yaml"))
        for doc in documents(path.read_text())
    ]


@pytest.mark.parametrize(("case", "obj"), manifests(),
                         ids=[f"{case}-{obj['kind']}" for case, obj in manifests()])  # fmt: skip
def test_each_object_round_trips_through_the_models(loaded, case, obj):
    assert loaded[(case, obj["kind"])]["serialized"] == obj


def test_inference_service_fields_read_back_from_kserves_model(loaded):
    isvc = loaded[("kserve-all-options", "InferenceService")]
    assert isvc["model"] == "V1beta1InferenceService"
    assert (isvc["name"], isvc["namespace"]) == ("iris-prod", "ml")
    assert (isvc["min_replicas"], isvc["max_replicas"]) == (2, 6)
    assert (isvc["scale_metric"], isvc["scale_target"]) == ("rps", 50)
    assert isvc["service_account"] == "models-reader"
    (container,) = isvc["containers"]
    assert container["name"] == "kserve-container"
    assert container["image"] == "registry.example.com/team/iris:0.1.0"
    assert container["env"] == {"MODEL_NAME": "iris", "STORAGE_URI": "s3://models/iris/v3",
                                "LOG_LEVEL": "debug", "TIFFIN_WORKERS": "2"}  # fmt: skip
    assert container["args"] == ["--max_buffer_size=104857600"]
    assert container["ports"] == [["http1", 8080]]
    assert container["requests"] == {"cpu": "1", "memory": "2Gi", "nvidia.com/gpu": "1"}
    assert container["limits"] == {"cpu": "2", "memory": "2Gi", "nvidia.com/gpu": "1"}
    assert container["readiness"] == "/v2/health/ready"


def test_grpc_port_reads_back_as_h2c(loaded):
    (container,) = loaded[("kserve-grpc", "InferenceService")]["containers"]
    assert container["ports"] == [["h2c", 8081]]
    assert loaded[("kserve-grpc", "InferenceService")]["min_replicas"] == 0


def test_raw_objects_read_back_from_the_kubernetes_models(loaded):
    deployment = loaded[("kserve-raw", "Deployment")]
    (container,) = deployment["containers"]
    assert container["ports"] == [["http", 8080], ["grpc", 8081]]
    assert container["env"]["STORAGE_URI"] == "s3://models/iris/v3"
    assert deployment["replicas"] is None  # the autoscaler owns the count
    assert loaded[("kserve-raw", "Service")]["ports"] == [["http", 8080], ["grpc", 8081]]
    autoscaler = loaded[("kserve-raw", "HorizontalPodAutoscaler")]
    assert autoscaler["model"] == "V2HorizontalPodAutoscaler"
    assert autoscaler["replicas"] == [1, 4]
