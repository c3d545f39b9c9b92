"""What KServe and Kubernetes refuse that the CRD's schema cannot say, checked on the
rendered objects before any call: names, quantities, replica counts, scaling targets.

Every problem is a :class:`DeployError` whose message starts with the field's path
(``spec.predictor.minReplicas: -1 is less than the minimum of 0``) and whose hint names
the setting that fills the field. The schema itself is checked by :mod:`.schema`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tiffin.deploy.kserve import names, quantities
from tiffin.deploy.kserve.manifest import HPA_METRICS, KNATIVE_CLASS, KNATIVE_HPA, raw_mode
from tiffin.deploy.kserve.raw import SELECTOR_LABEL
from tiffin.errors import DeployError

PREDICTOR_SUFFIX = "-predictor"
"""What KServe appends to an InferenceService's name for its predictor's host name."""
HOST_LABEL_MAX = 63
ENV_FLAGS = {"MODEL_NAME": "{=model_name}", "STORAGE_URI": "{=storage_uri}"}


def at(path: str, problem: str, hint: str | None = None) -> DeployError:
    """The error of one field: ``PATH: PROBLEM``."""
    return DeployError(f"{path}: {problem}", hint=hint)


def minimum(path: str, value: Any, least: int, hint: str) -> None:
    """Refuse a number below ``least``, as a schema would word it."""
    if isinstance(value, int) and value < least:
        raise at(path, f"{value} is less than the minimum of {least}", hint)


def check_name(meta: dict[str, Any]) -> None:
    """``metadata.name`` (an RFC 1035 label) and ``metadata.namespace`` (RFC 1123)."""
    name = str(meta.get("name", ""))
    problem = names.rfc1035_label(name)
    if problem:
        raise at("metadata.name", f"{name!r} {problem}", "pass a name with {=name}, e.g. iris-v2")
    namespace = meta.get("namespace")
    problem = names.rfc1123_label(str(namespace)) if namespace is not None else None
    if problem:
        raise at("metadata.namespace", f"{namespace!r} {problem}", "fix {=namespace}")


def check_host_label(meta: dict[str, Any]) -> None:
    """KServe's host name ``NAME-predictor-NAMESPACE`` must fit one DNS label (63)."""
    if not meta.get("namespace"):
        return
    label = f"{meta['name']}{PREDICTOR_SUFFIX}-{meta['namespace']}"
    if len(label) > HOST_LABEL_MAX:
        raise at(
            "metadata.name",
            f"{meta['name']!r} in namespace {meta['namespace']!r} makes KServe's host label "
            f"{label!r}, {len(label)} characters long; the most is {HOST_LABEL_MAX}",
            "pass a shorter {=name}",
        )


def check_metadata(meta: dict[str, Any]) -> None:
    """Name, namespace, label keys and values, annotation keys."""
    check_name(meta)
    for key, value in (meta.get("labels") or {}).items():
        problem = names.qualified_key(key)
        if problem:
            raise at(f"metadata.labels[{key!r}]", f"the key {problem}", "fix {=label}")
        problem = names.label_value(str(value))
        if problem:
            raise at(f"metadata.labels[{key!r}]", f"{value!r} {problem}", "fix {=label}")
    for key in meta.get("annotations") or {}:
        problem = names.qualified_key(key)
        if problem:
            raise at(f"metadata.annotations[{key!r}]", f"the key {problem}", "fix {=annotation}")


def check_container(path: str, container: dict[str, Any]) -> None:
    """Image reference, environment names (each once) and resource quantities."""
    image = str(container.get("image", ""))
    problem = names.image_reference(image)
    if problem:
        raise at(f"{path}.image", f"{image!r} {problem}", "e.g. registry.example.com/iris:1")
    seen: set[str] = set()
    for index, variable in enumerate(container.get("env") or []):
        name = str(variable.get("name", ""))
        where = f"{path}.env[{index}].name"
        problem = names.env_name(name)
        if problem:
            raise at(where, f"{name!r} {problem}", "fix {=env}")
        if name in seen:
            flag = ENV_FLAGS.get(name)
            hint = f"set {name} with {flag}, not {{=env}}" if flag else "give {=env} once each"
            raise at(where, f"{name} is set twice", hint)
        seen.add(name)
    check_resources(f"{path}.resources", container.get("resources") or {})


def check_resources(path: str, resources: dict[str, Any]) -> None:
    """Quantities that parse and are positive; each request at most its limit."""
    for part in ("requests", "limits"):
        for resource, text in (resources.get(part) or {}).items():
            problem = quantities.problem(resource, str(text))
            if problem:
                raise at(f"{path}.{part}.{resource}", problem, f"fix {{={flag_of(resource)}}}")
    limits = resources.get("limits") or {}
    for resource, text in (resources.get("requests") or {}).items():
        if resource not in limits:
            continue
        request, limit = quantities.parse(str(text)), quantities.parse(str(limits[resource]))
        if request is not None and limit is not None and request > limit:
            raise at(
                f"{path}.requests.{resource}",
                f"{text} is more than the limit {limits[resource]}",
                f"write {{={flag_of(resource)}}} REQUEST:LIMIT with the request first",
            )


def flag_of(resource: str) -> str:
    """The setting of a resource: ``cpu``, ``memory``, else ``gpu``."""
    return resource if resource in ("cpu", "memory") else "gpu"


def check_service_account(path: str, pod: dict[str, Any]) -> None:
    """``serviceAccountName``, an RFC 1123 subdomain."""
    account = pod.get("serviceAccountName")
    problem = names.rfc1123_subdomain(str(account)) if account is not None else None
    if problem:
        raise at(f"{path}.serviceAccountName", f"{account!r} {problem}", "fix {=service_account}")


def check_replicas(path: str, low: Any, high: Any, least: int = 0) -> None:
    """``minReplicas`` at least ``least``, ``maxReplicas`` at least 0 and not below it
    (a ``maxReplicas`` of 0 means no upper bound to KServe)."""
    minimum(
        f"{path}.minReplicas",
        low,
        least,
        "pass {=min_replicas} 0 or more"
        if least == 0
        else f"an autoscaler keeps {least} replica at least",
    )
    minimum(f"{path}.maxReplicas", high, 0, "pass {=max_replicas} 1 or more")
    if isinstance(low, int) and isinstance(high, int) and 0 < high < low:
        raise at(
            f"{path}.minReplicas",
            f"{low} is more than maxReplicas {high}",
            "{=min_replicas} must not be above {=max_replicas}",
        )


def check_objects(objects: list[dict[str, Any]]) -> None:
    """Check every object tiffin rendered; raise the first problem found."""
    for obj in objects:
        CHECKS.get(obj.get("kind", ""), _check_plain)(obj)
    kinds = {obj.get("kind"): obj for obj in objects}
    if "HorizontalPodAutoscaler" in kinds and "Deployment" in kinds:
        check_requests_for(kinds["HorizontalPodAutoscaler"], kinds["Deployment"])


def check_requests_for(autoscaler: dict[str, Any], deployment: dict[str, Any]) -> None:
    """A utilization target is a share of a request: the container must make that request."""
    requests = _requests(deployment["spec"]["template"]["spec"])
    for index, metric in enumerate(autoscaler["spec"].get("metrics") or []):
        resource = metric["resource"]["name"]
        if not requests.get(resource):
            raise at(
                f"spec.metrics[{index}].resource",
                f"{resource} utilization needs a {resource} request on the container",
                f"pass {{={resource}}}, e.g. {{={resource}}} {'1' if resource == 'cpu' else '2Gi'}",
            )


def _check_plain(obj: dict[str, Any]) -> None:
    check_metadata(obj.get("metadata") or {})


def _check_inference_service(obj: dict[str, Any]) -> None:
    meta = obj.get("metadata") or {}
    check_metadata(meta)
    check_host_label(meta)
    predictor = obj["spec"]["predictor"]
    path = "spec.predictor"
    check_replicas(path, predictor.get("minReplicas"), predictor.get("maxReplicas"))
    check_service_account(path, predictor)
    for index, container in enumerate(predictor.get("containers") or []):
        check_container(f"{path}.containers[{index}]", container)
    check_scaling(predictor, meta.get("annotations") or {})


def check_scaling(predictor: dict[str, Any], annotations: dict[str, str]) -> None:
    """The metric fits the autoscaler KServe will use; the target fits the metric."""
    metric, target = predictor.get("scaleMetric"), predictor.get("scaleTarget")
    hpa = raw_mode(annotations) or annotations.get(KNATIVE_CLASS) == KNATIVE_HPA
    if hpa and metric in ("concurrency", "rps"):
        raise at(
            "spec.predictor.scaleMetric",
            f"{metric!r} needs Knative's own autoscaler; an HPA scales on cpu or memory",
            "pick {=scale_metric} cpu or memory, or drop the annotations that choose an HPA",
        )
    if hpa or metric in {m.value for m in HPA_METRICS}:
        minimum(
            "spec.predictor.minReplicas",
            predictor.get("minReplicas"),
            1,
            "scaling on cpu or memory (an HPA) keeps 1 replica at least: {=min_replicas} 1",
        )
    minimum("spec.predictor.scaleTarget", target, 1, "pass {=scale_target} 1 or more")
    if metric == "cpu" and isinstance(target, int) and target > 100:
        raise at(
            "spec.predictor.scaleTarget",
            f"{target} is more than the maximum of 100",
            "a cpu target is a percentage of the CPU request: {=scale_target} 1 to 100",
        )
    if metric == "cpu" and not _requests(predictor).get("cpu"):
        raise at(
            "spec.predictor.scaleMetric",
            "cpu needs a CPU request on the container",
            "pass {=cpu}, e.g. {=cpu} 1",
        )


def _requests(pod: dict[str, Any]) -> dict[str, Any]:
    containers = pod.get("containers") or [{}]
    return dict((containers[0].get("resources") or {}).get("requests") or {})


def _check_deployment(obj: dict[str, Any]) -> None:
    meta = obj.get("metadata") or {}
    check_metadata(meta)
    minimum("spec.replicas", obj["spec"].get("replicas"), 0, "pass {=min_replicas} 0 or more")
    pod = obj["spec"]["template"]["spec"]
    check_service_account("spec.template.spec", pod)
    labels = obj["spec"]["template"]["metadata"]["labels"]
    if labels.get(SELECTOR_LABEL) != meta.get("name"):
        raise at(
            f"spec.template.metadata.labels[{SELECTOR_LABEL!r}]",
            "is the selector of the Deployment's pods and must be its name",
            f"drop {{=label}} {SELECTOR_LABEL}",
        )
    for index, container in enumerate(pod.get("containers") or []):
        check_container(f"spec.template.spec.containers[{index}]", container)


def _check_autoscaler(obj: dict[str, Any]) -> None:
    check_metadata(obj.get("metadata") or {})
    spec = obj["spec"]
    check_replicas("spec", spec.get("minReplicas"), spec.get("maxReplicas"), least=1)
    for index, metric in enumerate(spec.get("metrics") or []):
        target = metric["resource"]["target"].get("averageUtilization")
        path = f"spec.metrics[{index}].resource.target.averageUtilization"
        minimum(path, target, 1, "pass {=scale_target} 1 or more")


CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "InferenceService": _check_inference_service,
    "Deployment": _check_deployment,
    "HorizontalPodAutoscaler": _check_autoscaler,
}
