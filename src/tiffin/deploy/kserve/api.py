"""Apply, read and delete objects over the Kubernetes API, errors made readable.

Every write is a server-side apply: ``PATCH`` with ``application/apply-patch+yaml``,
``fieldManager=tiffin``, ``force=true`` (tiffin owns the fields it sets, so a second
deploy updates them) and ``fieldValidation=Strict`` (a field the cluster does not know is
an error, not silently dropped). Every kind goes to its REST path through
:func:`tiffin.deploy.kserve.rest.request`, as plain dicts.

The client's ``ApiException`` and connection errors become :class:`DeployError`s here,
with the cause kept: one line with the API's own message, and a hint.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tiffin.deploy.kserve.cluster import Cluster
from tiffin.deploy.kserve.rest import request
from tiffin.errors import CloudCallFailed, DeployError

FIELD_MANAGER = "tiffin"
APPLY = "application/apply-patch+yaml"
CRD_MISSING = "the cluster has no InferenceService CRD: install KServe or use --raw"


@dataclass(frozen=True)
class Kind:
    """A kind of object and where its REST API is."""

    kind: str
    group: str
    version: str
    plural: str
    short: str
    """How ``kubectl get`` names it."""


INFERENCE_SERVICE = Kind(
    "InferenceService", "serving.kserve.io", "v1beta1", "inferenceservices", "isvc"
)
DEPLOYMENT = Kind("Deployment", "apps", "v1", "deployments", "deployment")
SERVICE = Kind("Service", "", "v1", "services", "service")
AUTOSCALER = Kind("HorizontalPodAutoscaler", "autoscaling", "v2", "horizontalpodautoscalers", "hpa")
KINDS = {kind.kind: kind for kind in (INFERENCE_SERVICE, DEPLOYMENT, SERVICE, AUTOSCALER)}


def kind_of(obj: dict[str, Any]) -> Kind:
    """The :class:`Kind` of a rendered object."""
    return KINDS[obj["kind"]]


def path(cluster: Cluster, kind: Kind, name: str) -> str:
    """The object's REST path: ``/apis/GROUP/VERSION/namespaces/NS/PLURAL/NAME``."""
    root = f"/apis/{kind.group}/{kind.version}" if kind.group else f"/api/{kind.version}"
    return f"{root}/namespaces/{cluster.namespace}/{kind.plural}/{name}"


def apply(cluster: Cluster, obj: dict[str, Any]) -> None:
    """Server-side apply ``obj`` in the cluster's namespace (the answer is not needed)."""
    kind, name = kind_of(obj), obj["metadata"]["name"]
    query = [("fieldManager", FIELD_MANAGER), ("force", "true"), ("fieldValidation", "Strict")]
    with translated(cluster, kind, name, "apply"):
        request(
            cluster.api_client,
            "PATCH",
            path(cluster, kind, name),
            query=query,
            body=obj,
            content_type=APPLY,
        )


def read(cluster: Cluster, kind: Kind, name: str) -> dict[str, Any] | None:
    """The object, or None when there is none of that name."""
    with translated(cluster, kind, name, "read", missing_ok=True):
        return dict(request(cluster.api_client, "GET", path(cluster, kind, name)))
    return None  # it was not found


def delete(cluster: Cluster, kind: Kind, name: str) -> bool:
    """Delete the object (its dependents in the background); False when there was none."""
    query = [("propagationPolicy", "Background")]
    with translated(cluster, kind, name, "delete", missing_ok=True):
        request(cluster.api_client, "DELETE", path(cluster, kind, name), query=query)
        return True
    return False  # it was not found


@contextmanager
def translated(
    cluster: Cluster, kind: Kind, name: str, verb: str, *, missing_ok: bool = False
) -> Iterator[None]:
    """Turn the client's errors raised inside into :class:`DeployError`s.

    With ``missing_ok``, a 404 for the object (not for its kind) is swallowed: the code
    after the ``with`` block runs, and says what that means.
    """
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        yield
    except ApiException as exc:
        status = Status.of(exc)
        if missing_ok and status.object_missing:
            return
        raise api_error(cluster, kind, name, verb, status) from exc
    except HTTPError as exc:
        raise DeployError(
            f"cannot reach the Kubernetes API at {cluster.server}: {_reason(exc)}",
            hint=f"check that the cluster of {cluster.target.describe()} is running and "
            "reachable (`kubectl get ns`)",
        ) from exc


@dataclass(frozen=True)
class Status:
    """The API's answer to a refused call (a ``Status`` object): code, reason, message."""

    code: int
    reason: str
    message: str
    details_name: str | None

    @classmethod
    def of(cls, exc: Any) -> Status:
        try:
            body = json.loads(exc.body or "{}")
        except (TypeError, ValueError):
            body = {}
        body = body if isinstance(body, dict) else {}
        reason = str(body.get("reason") or exc.reason or "Error")
        message = str(body.get("message") or exc.reason or "no message").strip()
        return cls(int(exc.status or 0), reason, message, (body.get("details") or {}).get("name"))

    @property
    def object_missing(self) -> bool:
        """A 404 about the object itself (its name in the details), not about its kind."""
        return self.code == 404 and self.details_name is not None


def api_error(cluster: Cluster, kind: Kind, name: str, verb: str, status: Status) -> DeployError:
    """The error of a refused call, with a hint chosen by its status code."""
    if status.code == 404 and not status.object_missing and kind is INFERENCE_SERVICE:
        return DeployError(
            CRD_MISSING,
            hint="KServe's quickstart installs it; "
            "`kubectl get crd inferenceservices.serving.kserve.io` checks it",
        )
    if status.code == 404 and status.object_missing:
        return not_found(cluster, kind, name)
    return CloudCallFailed(
        "Kubernetes",
        f"{verb} {kind.kind} {name}",
        status.reason,
        status.message,
        hint=_hint(cluster, kind, verb, status.code),
    )


def not_found(cluster: Cluster, kind: Kind, name: str) -> DeployError:
    """There is no such object in the namespace."""
    return DeployError(
        f"{kind.kind} {name!r} not found in namespace {cluster.namespace!r}",
        hint=f"`kubectl get {kind.short} -n {cluster.namespace}` lists them; "
        "pass --namespace (and --raw for a plain Deployment) if it is elsewhere",
    )


def _hint(cluster: Cluster, kind: Kind, verb: str, code: int) -> str:
    access = {"apply": "patch", "read": "get", "delete": "delete"}[verb]
    hints = {
        401: "the cluster refused the credentials: log in again (check with `kubectl get ns`)",
        403: f"ask for permission to {access} {kind.plural} in namespace {cluster.namespace} "
        f"(`kubectl auth can-i {access} {kind.plural} -n {cluster.namespace}` checks it)",
        409: "something else changed it at the same time, or it is being deleted: wait a "
        "moment and rerun",
        422: "the cluster refused a field named above: fix the option that sets it "
        "(`tiffin kserve manifest` shows what is sent)",
    }
    return hints.get(
        code,
        f"the API answered {code}; `kubectl get {kind.short} -n "
        f"{cluster.namespace}` shows the cluster's side",
    )


def _reason(exc: Exception) -> str:
    """``[Errno 111] Connection refused``, without urllib3's object addresses."""
    text = str(getattr(exc, "reason", None) or exc)
    return text.rpartition("connection: ")[2] if "connection: " in text else text
