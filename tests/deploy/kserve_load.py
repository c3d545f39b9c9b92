"""Load manifests into kserve's own Python models, in kserve's interpreter (.venv-kserve).

    python kserve_load.py MANIFEST.yaml...

Each InferenceService is deserialized into ``kserve.V1beta1InferenceService`` by kserve's
ApiClient (the nested Kubernetes types, which kserve's models name but do not define, by
the kubernetes client's); Deployments, Services and autoscalers into the kubernetes
client's models. The last stdout line is JSON: for each object, fields read back from
the models and the model serialized again, to compare with the manifest.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import kserve
import kubernetes.client
import yaml

K8S = kubernetes.client.ApiClient()
MODELS = {
    "Deployment": "V1Deployment",
    "Service": "V1Service",
    "HorizontalPodAutoscaler": "V2HorizontalPodAutoscaler",
}


class Response:
    """What ApiClient.deserialize reads: an HTTP response's ``data``."""

    def __init__(self, obj: dict[str, Any]) -> None:
        self.data = json.dumps(obj)


class KServeClient(kserve.ApiClient):
    """kserve's ApiClient, handing the Kubernetes types to the kubernetes client."""

    def _ApiClient__deserialize(self, data: Any, klass: Any) -> Any:
        if (
            isinstance(klass, str)
            and not klass.startswith(("list[", "dict("))
            and klass not in self.NATIVE_TYPES_MAPPING
            and not hasattr(kserve.models, klass)
        ):
            return K8S.deserialize(json.dumps(data), klass, "application/json")
        return super()._ApiClient__deserialize(data, klass)


def container_fields(container: Any) -> dict[str, Any]:
    return {
        "name": container.name,
        "image": container.image,
        "args": container.args,
        "env": {variable.name: variable.value for variable in container.env or []},
        "ports": [(port.name, port.container_port) for port in container.ports or []],
        "requests": (container.resources.requests if container.resources else None),
        "limits": (container.resources.limits if container.resources else None),
        "readiness": container.readiness_probe.http_get.path,
    }


def inference_service(obj: dict[str, Any]) -> dict[str, Any]:
    isvc = KServeClient().deserialize(Response(obj), "V1beta1InferenceService")
    assert isinstance(isvc, kserve.V1beta1InferenceService), type(isvc)
    predictor = isvc.spec.predictor
    return {
        "model": type(isvc).__name__,
        "name": isvc.metadata.name,
        "namespace": isvc.metadata.namespace,
        "min_replicas": predictor.min_replicas,
        "max_replicas": predictor.max_replicas,
        "scale_metric": predictor.scale_metric,
        "scale_target": predictor.scale_target,
        "service_account": predictor.service_account_name,
        "containers": [container_fields(c) for c in predictor.containers],
        "serialized": kserve.ApiClient().sanitize_for_serialization(isvc),
    }


def kubernetes_object(obj: dict[str, Any]) -> dict[str, Any]:
    model = K8S.deserialize(json.dumps(obj), MODELS[obj["kind"]], "application/json")
    found: dict[str, Any] = {"model": type(model).__name__, "name": model.metadata.name}
    if obj["kind"] == "Deployment":
        found["containers"] = [container_fields(c) for c in model.spec.template.spec.containers]
        found["replicas"] = model.spec.replicas
    elif obj["kind"] == "Service":
        found["ports"] = [(port.name, port.port) for port in model.spec.ports]
    else:
        found["replicas"] = [model.spec.min_replicas, model.spec.max_replicas]
    found["serialized"] = K8S.sanitize_for_serialization(model)
    return found


def main(paths: list[str]) -> None:
    loaded = []
    for path in paths:
        with open(path) as stream:
            for obj in yaml.safe_load_all(stream):
                read = inference_service if obj["kind"] == "InferenceService" else kubernetes_object
                loaded.append({"file": path, "kind": obj["kind"], **read(obj)})
    print(json.dumps(loaded))


if __name__ == "__main__":
    main(sys.argv[1:])
