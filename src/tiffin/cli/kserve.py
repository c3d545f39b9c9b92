"""``tiffin kserve``: manifests for KServe (or plain Kubernetes), deploy, status, delete.

Each command parses its options, calls :mod:`tiffin.deploy.kserve` and prints: progress
on stderr, the one result (YAML, a URL, a name) on stdout. Every manifest is checked,
field by field and against KServe's CRD schema, before any call to a cluster; the
Kubernetes client is imported only when a command talks to one.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tiffin.cli.errors import INTERRUPTED_EXIT_CODE, handle_errors
from tiffin.cli.kserve_options import cluster_options, service_options, wait_options

if TYPE_CHECKING:
    from tiffin.deploy.kserve.cluster import Cluster, ClusterSettings, Target
    from tiffin.deploy.kserve.readiness import Snapshot
    from tiffin.deploy.kserve.source import Source
    from tiffin.deploy.kserve.waiting import Watch


def settings(kubeconfig: str | None, context: str | None, namespace: str | None) -> ClusterSettings:
    """``--kubeconfig``, ``--context`` and ``--namespace`` as one settings object."""
    from tiffin.deploy.kserve.cluster import ClusterSettings

    return ClusterSettings(kubeconfig, context, namespace)


def connect(cluster: ClusterSettings) -> Cluster:
    """A client of the cluster the settings name, checked before it is used."""
    from tiffin.deploy.kserve.cluster import connect as open_client
    from tiffin.deploy.kserve.cluster import resolve_target

    return open_client(resolve_target(cluster))


def warn_local(source: Source) -> None:
    """Say so when the image is only a local build tag a cluster may not pull."""
    if source.local_tag:
        click.echo(
            f"tiffin: {source.image} is the tag `tiffin build` gives the package; a "
            f"cluster pulls it only from a registry: `tiffin push {source.image} "
            "REGISTRY`, then pass --registry REGISTRY (or --image)",
            err=True,
        )


def follow(watch: Watch, timeout: float, poll: float) -> Snapshot:
    """Wait for ``watch`` with a live display; Ctrl-C exits 130 with one line."""
    from tiffin.deploy.kserve.display import make_display
    from tiffin.deploy.kserve.waiting import Waiter, still_deploying

    try:
        return Waiter(watch, make_display(), timeout=timeout, poll=poll).run()
    except KeyboardInterrupt:
        click.echo(still_deploying(watch), err=True)
        sys.exit(INTERRUPTED_EXIT_CODE)


@click.group()
def kserve() -> None:
    """Serve a package on KServe, or on plain Kubernetes (pip install 'tiffin[kserve]').

    The cluster comes from your kubeconfig (--kubeconfig, --context; KUBECONFIG), as for
    kubectl. Manifests are checked against KServe's CRD before anything is sent. See
    docs/deploy.md.

    \b
      tiffin kserve manifest iris --registry registry.example.com > iris.yaml
      tiffin kserve deploy iris --registry registry.example.com --cpu 1 --memory 2Gi
      tiffin kserve status iris
      tiffin kserve delete iris
    """


@kserve.command()
@service_options
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the YAML here.")
@handle_errors
def manifest(source: str, output: str | None, **options: Any) -> None:
    """Print the InferenceService (or with --raw the Deployment, Service, HPA) for PATH|IMAGE.

    PATH is a package directory or its tiffin.yaml: the image is the one `tiffin build`
    tags, at --registry if you pushed it there. IMAGE is an image reference.

    \b
      tiffin kserve manifest iris --registry registry.example.com -o iris.yaml
      kubectl apply -f iris.yaml
    """
    from tiffin.cli.kserve_inputs import service_spec
    from tiffin.deploy.kserve.deploy import render
    from tiffin.deploy.kserve.render import to_yaml

    found, spec = service_spec(source, **options)
    text = to_yaml(render(spec, raw=options["raw"]))
    warn_local(found)
    if output is None:
        click.echo(text, nl=False)
        return
    Path(output).write_text(text)
    click.echo(f"tiffin: wrote {output}; apply it with `kubectl apply -f {output}`", err=True)


@kserve.command()
@service_options
@cluster_options
@wait_options
@click.option("--dry-run", is_flag=True, help="Print what would be applied; send nothing.")
@handle_errors
def deploy(
    source: str,
    kubeconfig: str | None,
    context: str | None,
    timeout: float,
    poll: float,
    no_wait: bool,
    dry_run: bool,
    **options: Any,
) -> None:
    """Apply PATH|IMAGE's InferenceService (or --raw objects), wait until ready, print its URL.

    Server-side apply (field manager tiffin): deploying again updates it in place.

    \b
      tiffin kserve deploy iris --registry registry.example.com --cpu 1 --memory 2Gi
      tiffin kserve deploy registry.example.com/iris:1 --grpc --min-replicas 0
    """
    from tiffin.cli.kserve_inputs import service_spec
    from tiffin.deploy.kserve import deploy as steps
    from tiffin.deploy.kserve.cluster import resolve_target
    from tiffin.deploy.kserve.render import to_yaml

    raw = options["raw"]
    found, spec = service_spec(source, **options)
    steps.render(spec, raw=raw)  # bad input is refused before the kubeconfig is read
    target = resolve_target(settings(kubeconfig, context, options["namespace"]))
    spec = steps.in_namespace(spec, target.namespace)
    objects = steps.render(spec, raw=raw)
    warn_local(found)
    if dry_run:
        click.echo(to_yaml(objects), nl=False)
        click.echo(f"tiffin: dry run: nothing was sent ({target.describe()})", err=True)
        return
    cluster, watch = apply_objects(target, objects, raw=raw)
    if no_wait:
        click.echo(f"tiffin: not waiting; follow it with `{watch.follow_command}`", err=True)
        click.echo(spec.name)
        return
    ready = follow(watch, timeout, poll)
    click.echo(f"tiffin: {watch.label} is ready", err=True)
    click.echo(steps.service_url(cluster, spec.name, ready))


def apply_objects(
    target: Target, objects: list[dict[str, Any]], *, raw: bool
) -> tuple[Cluster, Watch]:
    """Connect, apply ``objects`` saying what each became; what to wait for next."""
    from tiffin.deploy.kserve import deploy as steps
    from tiffin.deploy.kserve.cluster import connect as open_client

    cluster = open_client(target)
    for applied in steps.apply_all(cluster, objects):
        click.echo(f"tiffin: {applied.describe()} ({target.describe()})", err=True)
    return cluster, steps.watch_for(cluster, objects[0]["metadata"]["name"], raw=raw)


@kserve.command()
@click.argument("name")
@click.option("--namespace", "-n", help="Namespace [the context's, else default].")
@click.option("--raw", is_flag=True, help="The Deployment, Service and HPA of a --raw deploy.")
@cluster_options
@wait_options
@handle_errors
def delete(
    name: str,
    namespace: str | None,
    raw: bool,
    kubeconfig: str | None,
    context: str | None,
    timeout: float,
    poll: float,
    no_wait: bool,
) -> None:
    """Delete the InferenceService NAME (--raw: its Deployment, Service, HPA); wait till gone.

    \b
      tiffin kserve delete iris -n ml
    """
    from tiffin.deploy.kserve.deploy import delete_all
    from tiffin.deploy.kserve.waiting import wait_gone

    _check_name(name)
    cluster = connect(settings(kubeconfig, context, namespace))
    deleted = delete_all(cluster, name, raw=raw)
    labels = ", ".join(label for label, _ in deleted)
    where = f"in namespace {cluster.namespace}"
    if no_wait:
        click.echo(f"tiffin: deleting {labels} {where} (not waiting)", err=True)
        return
    wait_gone(deleted, timeout, poll)
    click.echo(f"tiffin: deleted {labels} {where}", err=True)


@kserve.command()
@click.argument("name")
@click.option("--namespace", "-n", help="Namespace [the context's, else default].")
@click.option("--raw", is_flag=True, help="The Deployment of a --raw deploy.")
@click.option("--wait", is_flag=True, help="Wait until it is ready.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=600.0,
    show_default=True,
    help="Seconds to wait with --wait.",
)
@click.option(
    "--poll",
    type=click.FloatRange(min=0),
    default=2.0,
    show_default=True,
    help="Seconds between status checks.",
)
@cluster_options
@handle_errors
def status(
    name: str,
    namespace: str | None,
    raw: bool,
    wait: bool,
    timeout: float,
    poll: float,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """Print whether NAME is ready, its conditions and its URL; --wait follows it.

    \b
      tiffin kserve status iris --wait
    """
    from tiffin.deploy.kserve import api
    from tiffin.deploy.kserve.deploy import service_url, watch_for

    _check_name(name)
    cluster = connect(settings(kubeconfig, context, namespace))
    watch = watch_for(cluster, name, raw=raw)
    found = watch.fetch()
    if found is None:
        raise api.not_found(cluster, watch.kind, name)
    snapshot = watch.read(found)
    if wait and not snapshot.ready:
        snapshot = follow(watch, timeout, poll)
    click.echo(f"{watch.label}: {'ready' if snapshot.ready else 'not ready'}")
    for _, line in snapshot.lines:
        click.echo(f"  {line}")
    if snapshot.ready or snapshot.url:
        click.echo(f"  URL: {service_url(cluster, name, snapshot)}")


def _check_name(name: str) -> None:
    from tiffin.deploy.kserve.names import rfc1035_label
    from tiffin.errors import DeployError

    problem = rfc1035_label(name)
    if problem:
        raise DeployError(f"NAME {name!r} {problem}", hint="pass the name deploy printed")
