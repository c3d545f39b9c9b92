"""Command-line values of `tiffin kserve manifest|deploy` turned into a :class:`ServiceSpec`.

Values a flag alone can get wrong (``KEY=VALUE`` pairs, ``REQUEST:LIMIT``) and flags that
do not go together are refused here; the rendered objects are then checked field by field
(:mod:`tiffin.deploy.kserve.checks`, :mod:`tiffin.deploy.kserve.schema`). Every problem is
a :class:`DeployError`, raised before any call to a cluster.
"""

from __future__ import annotations

from tiffin.deploy.kserve.source import Source, resolve_source
from tiffin.deploy.kserve.spec import (
    Quantity,
    Resources,
    ScaleMetric,
    Scaling,
    ServiceSpec,
    StorageUriIn,
)
from tiffin.errors import DeployError

Pairs = tuple[tuple[str, str], ...]
EXAMPLES = {"--env": "LOG_LEVEL=debug", "--label": "team=ml", "--annotation": "owner=ml-team"}


def pairs(values: tuple[str, ...], option: str) -> Pairs:
    """``KEY=VALUE`` options, each key once, in the order given."""
    found: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise DeployError(
                f"{option} {value!r} is not KEY=VALUE",
                hint=f"e.g. {option} {EXAMPLES.get(option, 'KEY=VALUE')}",
            )
        if key in found:
            raise DeployError(
                f"{option} {key} is given twice", hint=f"give {option} {key}=... once"
            )
        found[key] = rest
    return tuple(found.items())


def quantity(value: str | None, option: str) -> Quantity | None:
    """``REQUEST`` or ``REQUEST:LIMIT`` (the limit defaults to the request)."""
    if value is None:
        return None
    request, _, limit = value.partition(":")
    if not request:
        raise DeployError(
            f"{option} {value!r} has no request",
            hint=f"write {option} REQUEST or {option} REQUEST:LIMIT, e.g. 1:2",
        )
    return Quantity(request.strip(), (limit or request).strip())


def check_combinations(
    *,
    raw: bool,
    grpc: bool,
    storage_uri: str | None,
    storage_uri_in: str | None,
    scaling: Scaling,
) -> None:
    """Refuse flags that do not go together, naming them."""
    if storage_uri_in and not storage_uri:
        raise DeployError(
            "--storage-uri-in says where --storage-uri goes, and there is none",
            hint="add --storage-uri URI, or drop --storage-uri-in",
        )
    if not raw:
        return
    if grpc:
        raise DeployError(
            "--grpc picks the one port KServe routes; --raw always exposes both "
            "(http 8080, grpc 8081)",
            hint="drop --grpc",
        )
    if storage_uri_in == StorageUriIn.SPEC.value:
        raise DeployError(
            "--storage-uri-in spec needs KServe's storage initializer, which --raw has not",
            hint="with --raw the image fetches the model: "
            "drop --storage-uri-in (or use env or args)",
        )
    _check_raw_scaling(scaling)


def _check_raw_scaling(scaling: Scaling) -> None:
    autoscales = scaling.max_replicas is not None and scaling.max_replicas > scaling.min_replicas
    if (scaling.metric or scaling.target is not None) and not autoscales:
        raise DeployError(
            "--scale-metric and --scale-target need an autoscaler",
            hint="pass --max-replicas above --min-replicas",
        )
    if scaling.metric in (ScaleMetric.CONCURRENCY, ScaleMetric.RPS):
        raise DeployError(
            f"--scale-metric {scaling.metric.value} needs KServe (Knative); with --raw a "
            "HorizontalPodAutoscaler scales on cpu or memory",
            hint="--scale-metric cpu (or memory), or deploy to KServe without --raw",
        )


def service_spec(
    source_text: str,
    *,
    raw: bool = False,
    name: str | None = None,
    namespace: str | None = None,
    image: str | None = None,
    registry: str | None = None,
    model_name: str | None = None,
    storage_uri: str | None = None,
    storage_uri_in: str | None = None,
    grpc: bool = False,
    cpu: str | None = None,
    memory: str | None = None,
    gpu: int | None = None,
    min_replicas: int = 1,
    max_replicas: int | None = None,
    scale_metric: str | None = None,
    scale_target: int | None = None,
    env: tuple[str, ...] = (),
    args: tuple[str, ...] = (),
    service_account: str | None = None,
    labels: tuple[str, ...] = (),
    annotations: tuple[str, ...] = (),
) -> tuple[Source, ServiceSpec]:
    """The source and the spec that the options of ``manifest`` and ``deploy`` describe."""
    metric = ScaleMetric(scale_metric) if scale_metric else None
    scaling = Scaling(min_replicas, max_replicas, metric, scale_target)
    check_combinations(
        raw=raw, grpc=grpc, storage_uri=storage_uri, storage_uri_in=storage_uri_in, scaling=scaling
    )
    source = resolve_source(source_text, image=image, registry=registry)
    spec = ServiceSpec(
        name=name or source.name,
        image=source.image,
        namespace=namespace,
        model_name=model_name or source.model_name,
        storage_uri=storage_uri,
        storage_uri_in=StorageUriIn(storage_uri_in or StorageUriIn.ENV.value),
        grpc=grpc,
        resources=Resources(quantity(cpu, "--cpu"), quantity(memory, "--memory"), gpu),
        scaling=scaling,
        env=pairs(env, "--env"),
        args=args,
        service_account=service_account,
        labels=pairs(labels, "--label"),
        annotations=pairs(annotations, "--annotation"),
    )
    return source, spec
