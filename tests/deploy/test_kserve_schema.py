"""Manifests against KServe's own CRD, and the schema tiffin ships against the CRD.

The CRD is the full one the tests keep (tests/deploy/kserve_crd/, KServe, Apache-2.0),
read here independently of the compact copy tiffin ships; a second test checks that
scripts/kserve_schema.py derives exactly that shipped copy from it (no drift).
"""

from __future__ import annotations

import copy
import gzip
import importlib.util
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from kserve_helpers import CRD, GOLDEN, crd_schema, documents

from servers import ROOT
from tiffin.deploy.kserve import schema as shipped
from tiffin.errors import DeployError

SCRIPT = ROOT / "scripts" / "kserve_schema.py"
SHIPPED = ROOT / "src" / "tiffin" / "deploy" / "kserve" / "inferenceservice_v1beta1.schema.json.gz"


def load_script() -> Any:
    spec = importlib.util.spec_from_file_location("kserve_schema_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def inference_services() -> list[tuple[str, dict[str, Any]]]:
    """Every InferenceService of the golden manifests."""
    found = []
    for path in sorted(GOLDEN.glob("kserve-*.yaml")):
        for doc in documents(path.read_text()):
            if doc["kind"] == "InferenceService":
                found.append((path.stem, doc))
    return found


@pytest.fixture(scope="module")
def full_crd_schema() -> dict[str, Any]:
    return crd_schema()


@pytest.mark.parametrize(("case", "isvc"), inference_services(),
                         ids=[case for case, _ in inference_services()])  # fmt: skip
def test_golden_inference_services_are_valid_for_the_full_crd(full_crd_schema, case, isvc):
    jsonschema.Draft4Validator(full_crd_schema).validate(isvc)
    assert shipped.unknown_field(isvc, full_crd_schema, ()) is None  # nothing pruned


def test_the_shipped_schema_is_what_the_script_derives_from_the_crd():
    script = load_script()
    derived = script.derive(script.read_crd(CRD))
    assert json.loads(gzip.decompress(SHIPPED.read_bytes())) == derived
    assert script.encode(derived) == SHIPPED.read_bytes()  # byte for byte: reproducible
    assert shipped.inference_service_schema() == derived


def test_the_script_keeps_fields_named_description_but_drops_descriptions():
    script = load_script()
    node = {"description": "text", "properties": {"description": {"type": "string"}}}
    assert script.without_descriptions(node) == {"properties": {"description": {"type": "string"}}}


def test_the_script_writes_the_schema(tmp_path, monkeypatch):
    script = load_script()
    monkeypatch.setattr(script, "TARGET", tmp_path / "schema.json.gz")
    monkeypatch.setattr(script, "ROOT", tmp_path)
    script.main([str(CRD)])
    assert (tmp_path / "schema.json.gz").read_bytes() == SHIPPED.read_bytes()


def broken(change: str) -> dict[str, Any]:
    """The default golden InferenceService with one change applied."""
    isvc = copy.deepcopy(dict(inference_services())["kserve-default"])
    predictor = isvc["spec"]["predictor"]
    container = predictor["containers"][0]
    if change == "metric":
        predictor["scaleMetric"] = "latency"
    elif change == "port-type":
        container["ports"][0]["containerPort"] = "8080"
    elif change == "unknown":
        container["imagePullPolicyy"] = "Always"
    elif change == "quantity":
        container["resources"] = {"limits": {"memory": "2 GB"}}
    elif change == "required":
        del container["ports"][0]["containerPort"]
    return isvc


MESSAGES = {
    "metric": "spec.predictor.scaleMetric: 'latency' is not one of ['cpu', 'memory', "
    "'concurrency', 'rps']",
    "port-type": "spec.predictor.containers[0].ports[0].containerPort: '8080' is not of type "
    "'integer'",
    "unknown": "spec.predictor.containers[0].imagePullPolicyy: the CRD has no such field",
    "quantity": "spec.predictor.containers[0].resources.limits.memory: '2 GB' is not a "
    "Kubernetes quantity (e.g. 500m, 1, 2Gi)",
    "required": "spec.predictor.containers[0].ports[0]: 'containerPort' is a required property",
}


@pytest.mark.parametrize("change", sorted(MESSAGES))
def test_a_field_the_crd_refuses_is_named_by_its_path(full_crd_schema, change):
    isvc = broken(change)
    if change != "unknown":
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.Draft4Validator(full_crd_schema).validate(isvc)
    with pytest.raises(DeployError) as caught:
        shipped.validate(isvc)
    assert caught.value.message == MESSAGES[change]


def test_an_unknown_field_close_to_a_known_one_gets_a_did_you_mean():
    with pytest.raises(DeployError) as caught:
        shipped.validate(broken("unknown"))
    assert caught.value.hint == "did you mean 'imagePullPolicy'?"


def test_the_shipped_schema_is_small(tmp_path: Path):
    assert SHIPPED.stat().st_size < 64 * 1024
    assert CRD.stat().st_size < 256 * 1024
