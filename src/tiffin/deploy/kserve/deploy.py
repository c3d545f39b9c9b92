"""Render, check, apply, watch and delete: what ``tiffin kserve`` does, without the CLI.

``render`` makes the objects of a :class:`ServiceSpec` (an InferenceService, or with
``raw`` a Deployment, a Service and maybe an autoscaler) and checks them all before
anything is sent. ``apply_all`` server-side applies them; ``watch_for`` says what to
wait for; ``delete_all`` deletes what ``deploy`` made.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from tiffin.deploy.kserve import api, checks, readiness, schema
from tiffin.deploy.kserve.api import AUTOSCALER, DEPLOYMENT, INFERENCE_SERVICE, SERVICE, Kind
from tiffin.deploy.kserve.cluster import Cluster
from tiffin.deploy.kserve.manifest import inference_service
from tiffin.deploy.kserve.raw import raw_objects
from tiffin.deploy.kserve.spec import HTTP_PORT, ServiceSpec
from tiffin.deploy.kserve.waiting import Fetch, Watch
from tiffin.errors import DeployError

RAW_KINDS = (DEPLOYMENT, SERVICE, AUTOSCALER)


def render(spec: ServiceSpec, *, raw: bool = False) -> list[dict[str, Any]]:
    """The checked objects of ``spec``; a :class:`DeployError` names the first bad field."""
    objects = raw_objects(spec) if raw else [inference_service(spec)]
    checks.check_objects(objects)
    for obj in objects:
        if obj["kind"] == INFERENCE_SERVICE.kind:
            schema.validate(obj)
    return objects


def in_namespace(spec: ServiceSpec, namespace: str) -> ServiceSpec:
    """``spec`` with its namespace set (deploy always names it)."""
    return replace(spec, namespace=namespace)


@dataclass(frozen=True)
class Applied:
    """One applied object, and whether it existed before (an update) or not."""

    kind: Kind
    name: str
    updated: bool

    def describe(self) -> str:
        return f"{'updated' if self.updated else 'created'} {self.kind.kind} {self.name}"


def apply_all(cluster: Cluster, objects: list[dict[str, Any]]) -> list[Applied]:
    """Server-side apply each object in order (a Service after its Deployment)."""
    done = []
    for obj in objects:
        kind, name = api.kind_of(obj), obj["metadata"]["name"]
        existed = api.read(cluster, kind, name) is not None
        api.apply(cluster, obj)
        done.append(Applied(kind, name, existed))
    return done


def watch_for(cluster: Cluster, name: str, *, raw: bool = False) -> Watch:
    """What ``deploy`` waits for: the InferenceService, or (raw) the Deployment."""
    kind = DEPLOYMENT if raw else INFERENCE_SERVICE
    read = readiness.deployment if raw else readiness.inference_service
    return Watch(kind, name, cluster.namespace, fetcher(cluster, kind, name), read)


def fetcher(cluster: Cluster, kind: Kind, name: str) -> Fetch:
    """A function reading the object (None once it is gone)."""
    return lambda: api.read(cluster, kind, name)


def service_url(cluster: Cluster, name: str, snapshot: readiness.Snapshot | None) -> str:
    """Where to send requests: ``status.url``, or a raw Service's in-cluster address."""
    if snapshot is not None and snapshot.url:
        return snapshot.url
    return f"http://{name}.{cluster.namespace}.svc.cluster.local:{HTTP_PORT}"


def delete_all(cluster: Cluster, name: str, *, raw: bool = False) -> list[tuple[str, Fetch]]:
    """Delete the InferenceService ``name`` (or, raw, its Deployment, Service and
    autoscaler); (label, fetch) of each deleted object, to wait until it is gone."""
    kinds = RAW_KINDS if raw else (INFERENCE_SERVICE,)
    deleted = [kind for kind in kinds if api.delete(cluster, kind, name)]
    if not deleted:
        if not raw:
            raise api.not_found(cluster, INFERENCE_SERVICE, name)
        raise DeployError(
            f"no Deployment, Service or HorizontalPodAutoscaler {name!r} in namespace "
            f"{cluster.namespace!r}",
            hint=f"`kubectl get deployments -n {cluster.namespace}` lists them; without "
            "--raw, tiffin deletes an InferenceService",
        )
    return [(f"{kind.kind} {name}", fetcher(cluster, kind, name)) for kind in deleted]
