"""A connection to a Kubernetes cluster from the user's kubeconfig, checked before any call.

The kubeconfig is ``--kubeconfig``, else ``KUBECONFIG`` (files joined by ``:``), else
``~/.kube/config``; the context is ``--context``, else the file's current context.
Without a kubeconfig, inside a pod (``KUBERNETES_SERVICE_HOST`` set), the pod's service
account is used. A missing file, an unknown context or a file without contexts is one
:class:`DeployError` that names the path or the context, the contexts there are, and
how to fix it. The Kubernetes client is the ``kserve`` extra, imported only here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tiffin.errors import DeployError

CLIENT_MISSING = "needs the Kubernetes client: pip install 'tiffin[kserve]'"
DEFAULT_KUBECONFIG = "~/.kube/config"
IN_CLUSTER_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


@dataclass(frozen=True)
class ClusterSettings:
    """What the user chose; None means "from the kubeconfig" (or the pod)."""

    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None


@dataclass(frozen=True)
class Target:
    """Where the objects go: the kubeconfig and context (None in a pod) and the namespace."""

    kubeconfig: str | None
    context: str | None
    namespace: str

    def describe(self) -> str:
        """``context kind-dev, namespace ml`` (or ``in-cluster``)."""
        where = f"context {self.context}" if self.context else "the in-cluster config"
        return f"{where}, namespace {self.namespace}"


@dataclass
class Cluster:
    """A configured client of the Kubernetes API (``kubernetes.client.ApiClient``)."""

    api_client: Any
    target: Target

    @property
    def namespace(self) -> str:
        return self.target.namespace

    @property
    def server(self) -> str:
        return str(self.api_client.configuration.host)


def import_kubernetes() -> Any:
    """The ``kubernetes`` package, or a :class:`DeployError` naming the extra."""
    try:
        import kubernetes
    except ImportError as exc:
        raise DeployError(f"deploying to Kubernetes {CLIENT_MISSING}") from exc
    return kubernetes


def kubeconfig_files(given: str | None, environ: Mapping[str, str]) -> list[Path]:
    """The kubeconfig files named by ``--kubeconfig``, ``KUBECONFIG`` or the default."""
    text = given or environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG
    return [Path(part).expanduser() for part in text.split(os.pathsep) if part]


def resolve_target(settings: ClusterSettings, environ: Mapping[str, str] | None = None) -> Target:
    """The kubeconfig, context and namespace to use, checked; no call to the cluster."""
    environ = os.environ if environ is None else environ
    files = [path for path in kubeconfig_files(settings.kubeconfig, environ) if path.exists()]
    if not files:
        return _in_cluster(settings, environ)
    config = os.pathsep.join(str(path) for path in files)
    contexts, current = _contexts(files)
    chosen = settings.context or current
    if chosen is None:
        raise DeployError(
            f"kubeconfig {config} sets no current context (contexts: {', '.join(contexts)})",
            hint="pass --context NAME, or run `kubectl config use-context NAME`",
        )
    if chosen not in contexts:
        current_note = f"; current: {current}" if current else ""
        raise DeployError(
            f"context {chosen!r} is not in kubeconfig {config} "
            f"(contexts: {', '.join(contexts)}{current_note})",
            hint="pass --context with one of those"
            + (f", or leave it out for the current one ({current})" if current else "")
            + "; `kubectl config get-contexts` lists them",
        )
    namespace = settings.namespace or contexts[chosen] or "default"
    return Target(config, chosen, namespace)


def _in_cluster(settings: ClusterSettings, environ: Mapping[str, str]) -> Target:
    named = settings.kubeconfig or environ.get("KUBECONFIG")
    if environ.get("KUBERNETES_SERVICE_HOST") and not named and not settings.context:
        namespace = settings.namespace or _pod_namespace()
        return Target(None, None, namespace)
    where = named or DEFAULT_KUBECONFIG
    raise DeployError(
        f"no kubeconfig: {where} does not exist",
        hint="pass --kubeconfig FILE or set KUBECONFIG (e.g. the file your cluster's "
        "provider wrote), or run inside the cluster",
    )


def _pod_namespace() -> str:
    try:
        return IN_CLUSTER_NAMESPACE.read_text().strip() or "default"
    except OSError:
        return "default"


def read_kubeconfig(path: Path) -> dict[str, Any]:
    """One kubeconfig file as a mapping; a :class:`DeployError` when it is not one."""
    hint = "pass a kubeconfig file with --kubeconfig (or fix KUBECONFIG)"
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise DeployError(f"kubeconfig {path} cannot be read: {exc.strerror}", hint=hint) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "it cannot be parsed"
        raise DeployError(f"kubeconfig {path} is not YAML{where}: {problem}", hint=hint) from exc
    if not isinstance(data, dict):
        raise DeployError(
            f"kubeconfig {path} is not a kubeconfig (no mapping of clusters, users and contexts)",
            hint=hint,
        )
    return data


def _contexts(files: list[Path]) -> tuple[dict[str, str | None], str | None]:
    """{context name: its namespace} of the files merged as kubectl merges them (the first
    file naming a context or the current context wins), and the current context's name."""
    contexts: dict[str, str | None] = {}
    current = None
    for path in files:
        data = read_kubeconfig(path)
        for item in data.get("contexts") or []:
            if isinstance(item, dict) and item.get("name"):
                body = item.get("context")
                namespace = body.get("namespace") if isinstance(body, dict) else None
                contexts.setdefault(str(item["name"]), namespace)
        current = current or data.get("current-context") or None
    if not contexts:
        where = os.pathsep.join(str(path) for path in files)
        raise DeployError(
            f"kubeconfig {where} has no contexts",
            hint="add one (`kubectl config set-context NAME --cluster C --user U`), or pass "
            "another --kubeconfig",
        )
    return contexts, current


def connect(target: Target) -> Cluster:
    """A client configured for ``target`` (credentials loaded, nothing sent yet)."""
    kubernetes = import_kubernetes()
    configuration = kubernetes.client.Configuration()
    try:
        if target.kubeconfig is None:
            kubernetes.config.load_incluster_config(client_configuration=configuration)
        else:
            kubernetes.config.load_kube_config(
                config_file=target.kubeconfig,
                context=target.context,
                client_configuration=configuration,
                persist_config=False,
            )
    except kubernetes.config.ConfigException as exc:
        raise _unusable(target, exc) from exc
    return Cluster(kubernetes.client.ApiClient(configuration), target)


def _unusable(target: Target, exc: Exception) -> DeployError:
    """The kubeconfig's context (or the pod's config) cannot make a client."""
    reason = " ".join(str(exc).split())
    if target.kubeconfig is None:
        return DeployError(
            f"cannot use the in-cluster config (KUBERNETES_SERVICE_HOST is set): {reason}",
            hint="in a pod, tiffin uses its service account (under "
            "/var/run/secrets/kubernetes.io/serviceaccount); elsewhere pass --kubeconfig FILE",
        )
    return DeployError(
        f"cannot use context {target.context!r} of kubeconfig {target.kubeconfig}: {reason}",
        hint="check the context's cluster and user entries (`kubectl config view`)",
    )
