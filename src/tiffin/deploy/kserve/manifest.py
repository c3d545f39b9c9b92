"""A ``serving.kserve.io/v1beta1`` InferenceService with a custom predictor container.

The predictor is the image itself (``kserve-container``): KServe runs it as it is,
routes one port to it and, when ``STORAGE_URI`` is set on it, fetches the model first.

Ports: KServe in its default (Knative, "serverless") mode routes exactly one container
port. It is HTTP on 8080 (``http1``) unless ``grpc`` is set; then it is the Open
Inference gRPC port 8081, which Knative must know to speak HTTP/2 cleartext on, hence its
name ``h2c``. The readiness probe asks the HTTP server for ``/v2/health/ready`` either
way, so traffic comes only once the model has loaded.

Objects are plain dicts whose keys are in the order ``kubectl`` users expect to read.
"""

from __future__ import annotations

from typing import Any

from tiffin.deploy.kserve.spec import (
    GRPC_PORT,
    HTTP_PORT,
    KSERVE_CONTAINER,
    KSERVE_MODEL_DIR,
    READY_PATH,
    ScaleMetric,
    ServiceSpec,
    StorageUriIn,
)

API_VERSION = "serving.kserve.io/v1beta1"
KIND = "InferenceService"
DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"
RAW_MODES = ("RawDeployment", "Standard")
"""Values of the deployment-mode annotation that make KServe use a Deployment and an HPA."""
KNATIVE_CLASS = "autoscaling.knative.dev/class"
KNATIVE_HPA = "hpa.autoscaling.knative.dev"
HPA_METRICS = (ScaleMetric.CPU, ScaleMetric.MEMORY)


def inference_service(spec: ServiceSpec) -> dict[str, Any]:
    """The InferenceService of ``spec`` (not yet checked: see ``checks.check_objects``)."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {**spec.metadata(), **_annotations(spec)},
        "spec": {"predictor": predictor(spec)},
    }


def predictor(spec: ServiceSpec) -> dict[str, Any]:
    """``spec.predictor``: replicas, autoscaling, service account, storage, the container."""
    scaling = spec.scaling
    body: dict[str, Any] = {"minReplicas": scaling.min_replicas}
    if scaling.max_replicas is not None:
        body["maxReplicas"] = scaling.max_replicas
    if scaling.metric is not None:
        body["scaleMetric"] = scaling.metric.value
    if scaling.target is not None:
        body["scaleTarget"] = scaling.target
    if spec.service_account:
        body["serviceAccountName"] = spec.service_account
    if spec.storage_uri and spec.storage_uri_in is StorageUriIn.SPEC:
        body["storageUris"] = [{"uri": spec.storage_uri, "mountPath": KSERVE_MODEL_DIR}]
    body["containers"] = [container(spec)]
    return body


def container(spec: ServiceSpec) -> dict[str, Any]:
    """The predictor container: image, args, env, the one routed port, resources, probe."""
    body: dict[str, Any] = {"name": KSERVE_CONTAINER, "image": spec.image}
    if spec.arguments():
        body["args"] = spec.arguments()
    if spec.environment():
        body["env"] = spec.environment()
    body["ports"] = [_port(spec.grpc)]
    resources = spec.resources.as_dict()
    if resources:
        body["resources"] = resources
    body["readinessProbe"] = {"httpGet": {"path": READY_PATH, "port": HTTP_PORT}}
    return body


def _port(grpc: bool) -> dict[str, Any]:
    if grpc:
        return {"name": "h2c", "containerPort": GRPC_PORT, "protocol": "TCP"}
    return {"name": "http1", "containerPort": HTTP_PORT, "protocol": "TCP"}


def _annotations(spec: ServiceSpec) -> dict[str, Any]:
    """``annotations``: the user's, plus Knative's HPA class when scaling on cpu/memory.

    In serverless mode Knative's own autoscaler scales on concurrency or rps; cpu and
    memory need its HPA class (KServe refuses them otherwise).
    """
    annotations = dict(spec.annotations)
    if spec.scaling.metric in HPA_METRICS and not raw_mode(annotations):
        annotations.setdefault(KNATIVE_CLASS, KNATIVE_HPA)
    return {"annotations": annotations} if annotations else {}


def raw_mode(annotations: dict[str, str]) -> bool:
    """Whether the annotations put KServe in its RawDeployment (Standard) mode."""
    return annotations.get(DEPLOYMENT_MODE) in RAW_MODES
