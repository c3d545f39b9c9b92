"""Plain Kubernetes objects for clusters without KServe: a Deployment, a Service and,
when ``max_replicas`` is above ``min_replicas``, an ``autoscaling/v2`` autoscaler.

Both ports are exposed (``http`` 8080 and ``grpc`` 8081, named so a mesh such as Istio
picks the protocol), and the pods are probed on the Open Inference health routes:
ready once the model has loaded, live while the server answers.
"""

from __future__ import annotations

from typing import Any

from tiffin.deploy.kserve.spec import (
    GRPC_PORT,
    HTTP_PORT,
    LIVE_PATH,
    READY_PATH,
    ScaleMetric,
    ServiceSpec,
)

CONTAINER = "server"
SELECTOR_LABEL = "app.kubernetes.io/name"
DEFAULT_UTILIZATION = 80
"""Average use, in percent of the request, an autoscaler aims for by default."""
PORTS = (("http", HTTP_PORT), ("grpc", GRPC_PORT))


def raw_objects(spec: ServiceSpec) -> list[dict[str, Any]]:
    """The Deployment, the Service and (when it autoscales) the autoscaler of ``spec``."""
    objects = [deployment(spec), service(spec)]
    if autoscales(spec):
        objects.append(autoscaler(spec))
    return objects


def autoscales(spec: ServiceSpec) -> bool:
    """Whether ``spec`` asks for more replicas at most than at least."""
    top = spec.scaling.max_replicas
    return top is not None and top > spec.scaling.min_replicas


def selector(spec: ServiceSpec) -> dict[str, str]:
    """The label that ties the Deployment's pods to the Service."""
    return {SELECTOR_LABEL: spec.name}


def deployment(spec: ServiceSpec) -> dict[str, Any]:
    """An ``apps/v1`` Deployment; ``replicas`` is left to the autoscaler when there is one."""
    body: dict[str, Any] = {}
    if not autoscales(spec):
        body["replicas"] = spec.scaling.min_replicas
    body["selector"] = {"matchLabels": selector(spec)}
    pod: dict[str, Any] = {}
    if spec.service_account:
        pod["serviceAccountName"] = spec.service_account
    pod["containers"] = [container(spec)]
    labels = {**selector(spec), **dict(spec.labels)}
    body["template"] = {"metadata": {"labels": labels}, "spec": pod}
    return _object("apps/v1", "Deployment", spec, body)


def container(spec: ServiceSpec) -> dict[str, Any]:
    """The server container: both ports, resources, readiness and liveness probes."""
    body: dict[str, Any] = {"name": CONTAINER, "image": spec.image}
    if spec.arguments():
        body["args"] = spec.arguments()
    if spec.environment():
        body["env"] = spec.environment()
    body["ports"] = [
        {"name": name, "containerPort": port, "protocol": "TCP"} for name, port in PORTS
    ]
    resources = spec.resources.as_dict()
    if resources:
        body["resources"] = resources
    body["readinessProbe"] = _probe(READY_PATH, period=5)
    body["livenessProbe"] = _probe(LIVE_PATH, period=10)
    return body


def _probe(path: str, period: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "failureThreshold": 3,
    }


def service(spec: ServiceSpec) -> dict[str, Any]:
    """A ``v1`` Service in front of the pods, with the same port numbers as the container."""
    ports = [
        {"name": name, "port": port, "targetPort": name, "protocol": "TCP"} for name, port in PORTS
    ]
    return _object("v1", "Service", spec, {"selector": selector(spec), "ports": ports})


def autoscaler(spec: ServiceSpec) -> dict[str, Any]:
    """An ``autoscaling/v2`` HorizontalPodAutoscaler on CPU (or memory) use of the request."""
    scaling = spec.scaling
    metric = scaling.metric or ScaleMetric.CPU
    target = scaling.target or DEFAULT_UTILIZATION
    body = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
        "minReplicas": scaling.min_replicas,
        "maxReplicas": scaling.max_replicas,
        "metrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": metric.value,
                    "target": {"type": "Utilization", "averageUtilization": target},
                },
            }
        ],
    }
    return _object("autoscaling/v2", "HorizontalPodAutoscaler", spec, body)


def _object(api_version: str, kind: str, spec: ServiceSpec, body: dict[str, Any]) -> dict:
    meta = spec.metadata(selector(spec))
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": body}
