"""The options of `tiffin kserve`, shared by its commands as decorators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from tiffin.deploy.kserve.spec import ScaleMetric, StorageUriIn

F = TypeVar("F", bound=Callable[..., Any])
PAIRS: dict[str, Any] = {"multiple": True, "metavar": "KEY=VALUE"}


def _options(command: F, *options: Callable[[F], F]) -> F:
    """``command`` with ``options`` applied, the first one given shown first in --help."""
    for option in reversed(options):
        command = option(command)
    return command


def service_options(command: F) -> F:
    """What the served model is and how it runs: shared by ``manifest`` and ``deploy``."""
    return source_options(resource_options(command))


def source_options(command: F) -> F:
    """SOURCE, names, the image, the model's storage, the port and the kind of objects."""
    return _options(
        command,
        click.argument("source", metavar="PATH|IMAGE"),
        click.option("--name", help="Resource name [the package's or image's name]."),
        click.option("--namespace", "-n", help="Namespace [deploy: the context's, else default]."),
        click.option("--image", help="PATH only: the image to run [what `tiffin build` tags]."),
        click.option(
            "--registry",
            metavar="REGISTRY[/REPO][:TAG]",
            help="PATH only: where `tiffin push` put the image (as push's destination).",
        ),
        click.option("--model-name", help="MODEL_NAME: the name in request paths [package's]."),
        click.option(
            "--storage-uri",
            metavar="URI",
            help="Model to serve (s3://, gs://, https://, pvc://...) instead of the image's own.",
        ),
        click.option(
            "--storage-uri-in",
            type=click.Choice([s.value for s in StorageUriIn]),
            help="env: STORAGE_URI, KServe's storage initializer fetches it [default]; "
            "spec: spec.predictor.storageUris; args: the image fetches it.",
        ),
        click.option(
            "--grpc",
            is_flag=True,
            help="Route the gRPC port (h2c, 8081) instead of HTTP (8080): KServe routes one.",
        ),
        click.option(
            "--raw",
            is_flag=True,
            help="A Deployment + Service (+ HPA) for clusters without KServe, both ports.",
        ),
    )


def resource_options(command: F) -> F:
    """Resources, replicas and autoscaling, env, args, service account, labels."""
    return _options(
        command,
        click.option("--cpu", metavar="REQUEST[:LIMIT]", help="CPU, e.g. 1 or 500m:2."),
        click.option("--memory", metavar="REQUEST[:LIMIT]", help="Memory, e.g. 2Gi or 1Gi:2Gi."),
        click.option("--gpu", type=click.IntRange(min=1), help="GPUs (nvidia.com/gpu)."),
        click.option(
            "--min-replicas",
            type=int,
            default=1,
            show_default=True,
            help="Fewest replicas (0: scale to zero on KServe).",
        ),
        click.option(
            "--max-replicas",
            type=int,
            help="Most replicas [KServe: no limit; --raw: --min-replicas].",
        ),
        click.option(
            "--scale-metric",
            type=click.Choice([m.value for m in ScaleMetric]),
            help="What autoscaling follows [KServe: concurrency; --raw: cpu].",
        ),
        click.option(
            "--scale-target", type=int, help="Target per replica (cpu, memory: % of the request)."
        ),
        click.option("--env", **PAIRS, help="Environment variable of the server. Repeatable."),
        click.option("--arg", "args", multiple=True, help="Argument of the server. Repeatable."),
        click.option("--service-account", help="Service account (e.g. storage credentials)."),
        click.option("--label", "labels", **PAIRS, help="Label of every object. Repeatable."),
        click.option("--annotation", "annotations", **PAIRS, help="Annotation. Repeatable."),
    )


def cluster_options(command: F) -> F:
    """``--kubeconfig`` and ``--context``, passed on as one ``cluster`` settings."""
    return _options(
        command,
        click.option(
            "--kubeconfig",
            metavar="FILE",
            help="Kubeconfig [KUBECONFIG, else ~/.kube/config, else the in-cluster config].",
        ),
        click.option("--context", help="Context of the kubeconfig [its current context]."),
    )


def wait_options(command: F) -> F:
    """``--timeout``, ``--poll`` and ``--no-wait``."""
    return _options(
        command,
        click.option(
            "--timeout",
            type=click.FloatRange(min=0),
            default=600.0,
            show_default=True,
            help="Seconds to wait for it.",
        ),
        click.option(
            "--poll",
            type=click.FloatRange(min=0),
            default=2.0,
            show_default=True,
            help="Seconds between status checks.",
        ),
        click.option("--no-wait", is_flag=True, help="Return once the cluster accepted it."),
    )
