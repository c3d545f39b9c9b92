"""Bad input to `tiffin kserve deploy|delete`: one readable line, a hint, exit status 9.

Kubeconfig problems are refused before any call; the API's refusals come from the
Kubernetes API TEST DOUBLE (kube_double.py: no API server can run on this machine),
scripted to answer as an API server does (a ``Status`` body with reason and message).
"""

from __future__ import annotations

import sys

import pytest
from kserve_helpers import clean_env, double, kubeconfig, refused, run
from kube_double import refusal

from servers import free_port

__all__ = ["clean_env", "double", "kubeconfig"]

IMAGE = "registry.example.com/iris:1"


def deploy(*args: str):
    return run("deploy", IMAGE, "--poll", "0", *args)


def test_an_explicit_kubeconfig_that_does_not_exist(clean_env, tmp_path):
    missing = tmp_path / "nope.yaml"
    refused(
        deploy("--kubeconfig", str(missing)),
        f"no kubeconfig: {missing} does not exist",
        "pass --kubeconfig FILE or set KUBECONFIG",
    )


def test_kubeconfig_from_the_environment_that_does_not_exist(clean_env, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "gone"))
    refused(deploy(), f"no kubeconfig: {tmp_path / 'gone'} does not exist", "--kubeconfig")


def test_no_kubeconfig_at_all(clean_env):
    refused(deploy(), "no kubeconfig: ~/.kube/config does not exist", "or run inside the cluster")


def test_the_default_kubeconfig_is_read(double, clean_env):
    (clean_env / ".kube").mkdir()
    double.kubeconfig(clean_env / ".kube" / "config")
    assert deploy("--no-wait").exit_code == 0
    assert len(double.sent("PATCH")) == 1


def test_an_unknown_context_lists_the_ones_there_are(double, tmp_path):
    config = double.kubeconfig(tmp_path / "config", contexts=("dev", "prod"), current="dev")
    refused(
        deploy("--kubeconfig", str(config), "--context", "staging"),
        f"context 'staging' is not in kubeconfig {config} (contexts: dev, prod; current: dev)",
        "pass --context with one of those, or leave it out for the current one (dev)",
    )
    assert double.requests == []


def test_a_kubeconfig_without_current_context(double, tmp_path):
    config = double.kubeconfig(tmp_path / "config", contexts=("dev", "prod"), current=None)
    refused(
        deploy("--kubeconfig", str(config)),
        f"kubeconfig {config} sets no current context (contexts: dev, prod)",
        "kubectl config use-context NAME",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1\n b", "is not YAML (line 2): expected ',' or ']', but got '<stream end>'"),
        ("- 1\n", "is not a kubeconfig (no mapping of clusters, users and contexts)"),
        ("apiVersion: v1\nkind: Config\n", "has no contexts"),
    ],
)
def test_a_file_that_is_not_a_usable_kubeconfig(clean_env, tmp_path, text, message):
    config = tmp_path / "config"
    config.write_text(text)
    refused(deploy("--kubeconfig", str(config)), f"kubeconfig {config} {message}")


def test_a_context_whose_cluster_is_missing(clean_env, tmp_path):
    config = tmp_path / "config"
    config.write_text(
        "contexts: [{name: a, context: {cluster: gone, user: u}}]\n"
        "current-context: a\nusers: [{name: u, user: {token: t}}]\n"
    )
    result = deploy("--kubeconfig", str(config))
    refused(
        result,
        f"cannot use context 'a' of kubeconfig {config}: Invalid kube-config "
        f"file. Expected object with name gone in {config}/clusters list",
        "kubectl config",
    )


def test_in_a_pod_without_a_service_account(clean_env, monkeypatch):
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    result = deploy()
    refused(
        result,
        "cannot use the in-cluster config (KUBERNETES_SERVICE_HOST is set): "
        "Service token file does not exist.",
        "elsewhere pass --kubeconfig FILE",
    )


def test_a_cluster_that_does_not_answer(clean_env, tmp_path):
    port = free_port()
    config = tmp_path / "config"
    config.write_text(
        f"clusters: [{{name: c, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: a, context: {cluster: c, user: u}}]\ncurrent-context: a\n"
    )
    refused(
        deploy("--kubeconfig", str(config)),
        f"cannot reach the Kubernetes API at "
        f"http://127.0.0.1:{port}: [Errno 111] Connection refused",
        "check that the cluster of context a, namespace default is running",
    )


def test_bad_manifest_input_is_refused_before_the_kubeconfig_is_read(clean_env):
    refused(
        deploy("--min-replicas", "-1", "--kubeconfig", "/nope"),
        "spec.predictor.minReplicas: -1 is less than the minimum of 0",
        "--min-replicas",
    )


API_REFUSALS = [
    (
        401,
        "Unauthorized",
        "Unauthorized",
        "Kubernetes apply InferenceService iris failed: Unauthorized: Unauthorized",
        "the cluster refused the credentials",
    ),
    (
        403,
        "Forbidden",
        'inferenceservices.serving.kserve.io "iris" is forbidden: User "dev" '
        'cannot patch resource "inferenceservices" in API group "serving.kserve.io" in the '
        'namespace "default"',
        "Kubernetes apply InferenceService iris failed: Forbidden: inferenceservices.serving.kserve"
        '.io "iris" is forbidden: User "dev" cannot patch resource "inferenceservices" in API '
        'group "serving.kserve.io" in the namespace "default"',
        "`kubectl auth can-i patch inferenceservices -n default` checks it",
    ),
    (
        409,
        "Conflict",
        "Operation cannot be fulfilled on inferenceservices.serving.kserve.io "
        '"iris": the object has been modified; please apply your changes to the latest version',
        "Kubernetes apply InferenceService iris failed: Conflict: Operation cannot be fulfilled on "
        'inferenceservices.serving.kserve.io "iris": the object has been modified; please apply '
        "your changes to the latest version",
        "wait a moment and rerun",
    ),
    (
        422,
        "Invalid",
        'InferenceService.serving.kserve.io "iris" is invalid: '
        "spec.predictor.containers[0].image: Required value",
        "Kubernetes apply InferenceService iris failed: Invalid: "
        'InferenceService.serving.kserve.io "iris" is invalid: '
        "spec.predictor.containers[0].image: Required value",
        "the cluster refused a field named above",
    ),
    (
        400,
        "BadRequest",
        'admission webhook "inferenceservice.kserve-webhook-server.validator" '
        "denied the request: [rps] is not a supported metric",
        "Kubernetes apply InferenceService iris failed: BadRequest: admission webhook "
        '"inferenceservice.kserve-webhook-server.validator" denied the request: [rps] is not a '
        "supported metric",
        "the API answered 400",
    ),
]


@pytest.mark.parametrize(
    ("code", "reason", "api_message", "message", "hint"),
    API_REFUSALS,
    ids=[str(case[0]) for case in API_REFUSALS],
)
def test_an_api_refusal_is_one_line_with_the_apis_message(
    double, kubeconfig, code, reason, api_message, message, hint
):
    double.refuse[("PATCH", "inferenceservices")] = refusal(code, reason, api_message)
    refused(deploy("--kubeconfig", str(kubeconfig)), message, hint)


def test_a_cluster_without_kserve_says_so(double, kubeconfig):
    double.kserve = False
    refused(
        deploy("--kubeconfig", str(kubeconfig)),
        "the cluster has no InferenceService CRD: install KServe or use --raw",
        "kubectl get crd inferenceservices.serving.kserve.io",
    )
    assert double.sent("PATCH") == []  # found out by the read before the apply
    assert (
        run("deploy", IMAGE, "--raw", "--kubeconfig", str(kubeconfig), "--no-wait").exit_code == 0
    )


def test_a_refused_delete(double, kubeconfig):
    double.refuse[("DELETE", "inferenceservices")] = refusal(403, "Forbidden", "no")
    refused(
        run("delete", "iris", "--kubeconfig", str(kubeconfig)),
        "Kubernetes delete InferenceService iris failed: Forbidden: no",
        "`kubectl auth can-i delete inferenceservices -n default` checks it",
    )


def test_a_bad_name_to_delete_is_refused_before_any_call(double, kubeconfig):
    refused(
        run("delete", "Iris", "--kubeconfig", str(kubeconfig)),
        "NAME 'Iris' must be "
        "lowercase letters, digits and '-', start with a letter and end with a letter or "
        "digit",
        "the name deploy printed",
    )
    assert double.requests == []


@pytest.mark.parametrize(
    ("module", "args", "message"),
    [
        (
            "kubernetes",
            ("deploy", IMAGE, "--kubeconfig", "KUBECONFIG"),
            "deploying to Kubernetes needs the Kubernetes client: pip install 'tiffin[kserve]'",
        ),
        (
            "jsonschema",
            ("manifest", IMAGE),
            "checking an InferenceService needs jsonschema: pip install 'tiffin[kserve]'",
        ),
    ],
)
def test_a_missing_extra_is_named(kubeconfig, monkeypatch, module, args, message):
    monkeypatch.setitem(sys.modules, module, None)  # import fails as when not installed
    result = run(*(str(kubeconfig) if arg == "KUBECONFIG" else arg for arg in args))
    refused(result, message)


def test_manifest_needs_no_cluster_and_no_kubernetes_client(clean_env, monkeypatch):
    monkeypatch.setitem(sys.modules, "kubernetes", None)
    assert run("manifest", IMAGE).exit_code == 0
    assert run("manifest", IMAGE, "--raw").exit_code == 0


def test_dry_run_needs_no_kubernetes_client(kubeconfig, monkeypatch):
    monkeypatch.setitem(sys.modules, "kubernetes", None)
    result = deploy("--kubeconfig", str(kubeconfig), "--dry-run")
    assert result.exit_code == 0, result.stderr
