"""What a KServe deployment is made of, as plain typed values: the input of the manifests.

A :class:`ServiceSpec` is built from the command line (or by a Python caller) and turned
into Kubernetes objects by :mod:`tiffin.deploy.kserve.manifest` (an InferenceService) or
:mod:`tiffin.deploy.kserve.raw` (a Deployment, a Service and maybe an autoscaler). Nothing
here is checked: :mod:`tiffin.deploy.kserve.checks` checks the objects, naming their fields.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

HTTP_PORT = 8080
"""Where a tiffin image serves HTTP (SageMaker, KServe V1, Open Inference V2 REST)."""
GRPC_PORT = 8081
"""Where a tiffin image serves Open Inference V2 gRPC."""
READY_PATH = "/v2/health/ready"
LIVE_PATH = "/v2/health/live"
KSERVE_CONTAINER = "kserve-container"
"""The container name KServe looks for in a custom predictor."""
KSERVE_MODEL_DIR = "/mnt/models"
"""Where KServe's storage initializer puts what it fetched."""
MANAGED_BY = {"app.kubernetes.io/managed-by": "tiffin"}


class StorageUriIn(str, enum.Enum):
    """Where a manifest puts ``--storage-uri``, which decides who fetches the model.

    ``env``: ``STORAGE_URI`` on the container; KServe's storage initializer fetches it
    into /mnt/models (with the service account's credentials) and tiffin serves that
    directory as it is; without KServe (``--raw``) the image fetches it itself.
    ``spec``: ``spec.predictor.storageUris`` (KServe releases whose CRD has the field),
    fetched by the same initializer; ``MODEL_DIR`` points tiffin at /mnt/models.
    ``args``: ``--model-uri=URI`` on the container's command line; no init container,
    the image fetches the model when it starts, with the credentials in its own env.
    """

    ENV = "env"
    SPEC = "spec"
    ARGS = "args"


class ScaleMetric(str, enum.Enum):
    """What KServe or a HorizontalPodAutoscaler scales on."""

    CONCURRENCY = "concurrency"
    RPS = "rps"
    CPU = "cpu"
    MEMORY = "memory"


@dataclass(frozen=True)
class Quantity:
    """A resource as asked for: ``request`` and ``limit`` (Kubernetes quantities)."""

    request: str
    limit: str


@dataclass(frozen=True)
class Resources:
    """CPU, memory and GPUs of the serving container; None leaves a resource unset."""

    cpu: Quantity | None = None
    memory: Quantity | None = None
    gpu: int | None = None
    gpu_resource: str = "nvidia.com/gpu"

    def as_dict(self) -> dict[str, dict[str, str]]:
        """``{"requests": {...}, "limits": {...}}`` with the resources that are set."""
        requests: dict[str, str] = {}
        limits: dict[str, str] = {}
        for key, quantity in (("cpu", self.cpu), ("memory", self.memory)):
            if quantity is not None:
                requests[key], limits[key] = quantity.request, quantity.limit
        if self.gpu is not None:
            requests[self.gpu_resource] = limits[self.gpu_resource] = str(self.gpu)
        return {name: part for name, part in (("requests", requests), ("limits", limits)) if part}


@dataclass(frozen=True)
class Scaling:
    """Replicas and autoscaling. ``max_replicas`` None: KServe's default (no upper bound),
    or, for a plain Deployment, as many as ``min_replicas`` (no autoscaler)."""

    min_replicas: int = 1
    max_replicas: int | None = None
    metric: ScaleMetric | None = None
    target: int | None = None


@dataclass(frozen=True)
class ServiceSpec:
    """One model server on Kubernetes: the image, how it is named, fed, sized and scaled."""

    name: str
    image: str
    namespace: str | None = None
    model_name: str | None = None
    storage_uri: str | None = None
    storage_uri_in: StorageUriIn = StorageUriIn.ENV
    grpc: bool = False
    resources: Resources = field(default_factory=Resources)
    scaling: Scaling = field(default_factory=Scaling)
    env: tuple[tuple[str, str], ...] = ()
    args: tuple[str, ...] = ()
    service_account: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()

    def environment(self) -> list[dict[str, str]]:
        """The container's env list: MODEL_NAME, where the model is, then ``env``."""
        pairs: list[tuple[str, str]] = []
        if self.model_name:
            pairs.append(("MODEL_NAME", self.model_name))
        if self.storage_uri and self.storage_uri_in is StorageUriIn.ENV:
            pairs.append(("STORAGE_URI", self.storage_uri))
        if self.storage_uri and self.storage_uri_in is StorageUriIn.SPEC:
            pairs.append(("MODEL_DIR", KSERVE_MODEL_DIR))
        pairs.extend(self.env)
        return [{"name": name, "value": value} for name, value in pairs]

    def arguments(self) -> list[str]:
        """The container's args: ``--model-uri=URI`` when the image fetches, then ``args``."""
        fetch = [f"--model-uri={self.storage_uri}"] if self.storage_uri else []
        return [*(fetch if self.storage_uri_in is StorageUriIn.ARGS else []), *self.args]

    def metadata(self, labels: dict[str, str] | None = None) -> dict[str, object]:
        """``metadata`` of every object: name, namespace, labels, annotations."""
        meta: dict[str, object] = {"name": self.name}
        if self.namespace:
            meta["namespace"] = self.namespace
        meta["labels"] = {**(labels or {}), **MANAGED_BY, **dict(self.labels)}
        if self.annotations:
            meta["annotations"] = dict(self.annotations)
        return meta
