"""`tiffin kserve deploy|status|delete` against a TEST DOUBLE of the Kubernetes API.

No Kubernetes API server can run on this machine: kube_double.py is a fake one, a real
HTTP server on 127.0.0.1 speaking the REST paths tiffin calls, with scripted statuses
(Ready=False, then True) instead of KServe's controller. The tests assert the exact
requests tiffin sends (server-side apply: body, content type, fieldManager, force), the
status lines it shows while it waits, its URL, timeout, Ctrl-C and deletion.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from io import StringIO

from kserve_helpers import clean_env, documents, double, kubeconfig, package, refused, run
from kube_double import ISVC_STUCK, TOKEN, condition

from servers import TIFFIN

__all__ = ["clean_env", "double", "kubeconfig", "package"]

ISVC_PATH = "/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices/iris"
APPLY_QUERY = {"fieldManager": ["tiffin"], "force": ["true"], "fieldValidation": ["Strict"]}
REGISTRY = ("--registry", "registry.example.com")
FAST = ("--poll", "0")
WAITING = 'Configuration "iris-predictor" is waiting for a Revision to become ready.'


def deploy(package, kubeconfig, *args):
    return run("deploy", str(package), *REGISTRY, "--kubeconfig", str(kubeconfig), *FAST, *args)


def test_deploy_applies_server_side_and_waits_for_ready(double, kubeconfig, package):
    result = deploy(package, kubeconfig)

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "http://iris.default.example.com\n"
    methods = [(r.method, r.path) for r in double.requests]
    assert methods == [("GET", ISVC_PATH), ("PATCH", ISVC_PATH)] + [("GET", ISVC_PATH)] * 4
    patch = double.sent("PATCH")[0]
    assert patch.content_type == "application/apply-patch+yaml"
    assert patch.query == APPLY_QUERY
    assert all(r.authorization == f"Bearer {TOKEN}" for r in double.requests)
    manifest = run("manifest", str(package), *REGISTRY, "--namespace", "default").stdout
    assert patch.body == documents(manifest)[0]
    assert result.stderr.splitlines() == [
        "tiffin: created InferenceService iris (context test, namespace default)",
        "tiffin: waiting for InferenceService iris in namespace default to be ready (Ctrl-C "
        "only stops the waiting)",
        "   0:00  IngressReady=False",
        f"   0:00  PredictorReady=False RevisionMissing: {WAITING}",
        f"   0:00  Ready=False RevisionMissing: {WAITING}",
        "   0:00  PredictorReady=True",
        "   0:00  IngressReady=True",
        "   0:00  Ready=True",
        "tiffin: InferenceService iris in namespace default is ready",
    ]


def test_a_second_deploy_updates_the_same_object(double, kubeconfig, package):
    assert deploy(package, kubeconfig).exit_code == 0
    result = deploy(package, kubeconfig, "--cpu", "1", "--memory", "2Gi")

    assert result.exit_code == 0, result.stderr
    assert "tiffin: updated InferenceService iris (context test, namespace default)" in (
        result.stderr
    )
    first, second = double.sent("PATCH")
    assert first.path == second.path and second.query == APPLY_QUERY
    assert second.body["spec"]["predictor"]["containers"][0]["resources"] == {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"cpu": "1", "memory": "2Gi"},
    }
    assert double.stored("inferenceservices", "iris")["metadata"]["generation"] == 2
    assert result.stdout == "http://iris.default.example.com\n"


def test_the_namespace_comes_from_the_context_unless_given(double, tmp_path, package):
    config = double.kubeconfig(
        tmp_path / "ml", contexts=("dev", "ml"), current="dev", namespace="models"
    )
    assert deploy(package, config, "--context", "ml", "--no-wait").exit_code == 0
    assert deploy(package, config, "-n", "other", "--no-wait").exit_code == 0
    paths = [r.path for r in double.sent("PATCH")]
    assert paths == [
        ISVC_PATH.replace("/default/", "/models/"),
        ISVC_PATH.replace("/default/", "/other/"),
    ]
    assert double.sent("PATCH")[1].body["metadata"]["namespace"] == "other"


def test_no_wait_returns_the_name_once_applied(double, kubeconfig, package):
    result = deploy(package, kubeconfig, "--no-wait")
    assert result.exit_code == 0 and result.stdout == "iris\n"
    assert [r.method for r in double.requests] == ["GET", "PATCH"]
    assert "follow it with `kubectl get isvc iris -n default -w`" in result.stderr


def test_dry_run_prints_what_would_be_applied_and_sends_nothing(double, kubeconfig, package):
    result = deploy(package, kubeconfig, "--dry-run", "--cpu", "1")
    assert result.exit_code == 0, result.stderr
    assert double.requests == []
    (isvc,) = documents(result.stdout)
    assert isvc["metadata"]["namespace"] == "default"
    assert isvc["spec"]["predictor"]["containers"][0]["resources"]["requests"] == {"cpu": "1"}
    assert "tiffin: dry run: nothing was sent (context test, namespace default)" in result.stderr


def test_waiting_gives_up_after_the_timeout(double, kubeconfig, package):
    double.scripts["inferenceservices"] = ISVC_STUCK
    result = deploy(package, kubeconfig, "--timeout", "0.2", "--poll", "0.02")
    refused(
        result,
        "InferenceService iris in namespace default is not ready after 0.2 s: "
        "IngressReady=False, PredictorReady=False, Ready=False",
        "it keeps deploying: follow it with `kubectl get isvc iris -n default -w`",
    )
    assert len(double.sent("GET")) >= 2  # the read before the apply, one while waiting
    assert "--timeout" in result.stderr


def test_a_model_that_fails_to_load_ends_the_wait(double, kubeconfig, package):
    failed = {
        "conditions": [condition("Ready", "False", "ModelLoadFailed")],
        "modelStatus": {
            "transitionStatus": "BlockedByFailedLoad",
            "lastFailureInfo": {"reason": "ModelLoadFailed", "message": "the model failed to load"},
        },
    }
    double.scripts["inferenceservices"] = [failed]
    refused(
        deploy(package, kubeconfig),
        "InferenceService iris failed: the model failed to load",
        "kubectl describe isvc iris -n default",
    )


def test_ctrl_c_while_waiting_exits_130_leaving_it_deploying(double, kubeconfig, package):
    double.scripts["inferenceservices"] = ISVC_STUCK
    seen = threading.Event()
    double.on_get = lambda request: seen.set() if len(double.sent("GET")) >= 4 else None
    argv = [
        *TIFFIN,
        "kserve",
        "deploy",
        str(package),
        *REGISTRY,
        "--kubeconfig",
        str(kubeconfig),
        "--poll",
        "0.05",
    ]
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert seen.wait(60), "the deploy never started waiting"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert out == "" and "Traceback" not in err
    assert err.splitlines()[-1] == (
        "tiffin: stopped waiting; InferenceService iris in namespace default keeps deploying: "
        "follow it with `kubectl get isvc iris -n default -w`"
    )
    assert "   0:00  IngressReady=False" in err


def test_raw_deploy_applies_deployment_service_autoscaler_and_waits(double, kubeconfig, package):
    result = deploy(package, kubeconfig, "--raw", "--cpu", "1", "--max-replicas", "3")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "http://iris.default.svc.cluster.local:8080\n"
    patches = [(r.path, r.content_type, r.query) for r in double.sent("PATCH")]
    apply = ("application/apply-patch+yaml", APPLY_QUERY)
    assert patches == [
        ("/apis/apps/v1/namespaces/default/deployments/iris", *apply),
        ("/api/v1/namespaces/default/services/iris", *apply),
        ("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/iris", *apply),
    ]
    assert [r.body["kind"] for r in double.sent("PATCH")] == [
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
    ]
    lines = result.stderr.splitlines()
    assert lines[3:] == [
        "tiffin: waiting for Deployment iris in namespace default to be ready (Ctrl-C only "
        "stops the waiting)",
        "   0:00  0/1 replicas available, 1 up to date",
        "   0:00  Available=False MinimumReplicasUnavailable: Deployment does not have minimum "
        "availability.",
        "   0:00  1/1 replicas available, 1 up to date",
        "   0:00  Available=True MinimumReplicasAvailable",
        "tiffin: Deployment iris in namespace default is ready",
    ]


def test_delete_waits_until_it_is_gone(double, kubeconfig, package):
    assert deploy(package, kubeconfig, "--no-wait").exit_code == 0
    double.requests.clear()
    result = run("delete", "iris", "--kubeconfig", str(kubeconfig), *FAST)

    assert result.exit_code == 0, result.stderr
    assert result.stderr == "tiffin: deleted InferenceService iris in namespace default\n"
    delete, *gets = double.requests
    assert (delete.method, delete.path) == ("DELETE", ISVC_PATH)
    assert delete.query == {"propagationPolicy": ["Background"]}
    assert [r.method for r in gets] == ["GET", "GET"]  # still there once, then gone
    refused(
        run("delete", "iris", "--kubeconfig", str(kubeconfig)),
        "InferenceService 'iris' not found in namespace 'default'",
        "`kubectl get isvc -n default` lists them",
    )


def test_delete_no_wait_and_raw(double, kubeconfig, package):
    deploy(package, kubeconfig, "--raw", "--no-wait")
    double.requests.clear()
    result = run("delete", "iris", "--raw", "--kubeconfig", str(kubeconfig), "--no-wait")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "tiffin: deleting Deployment iris, Service iris in namespace default (not waiting)\n"
    )
    assert [(r.method, r.path.rsplit("/", 2)[1]) for r in double.requests] == [
        ("DELETE", "deployments"),
        ("DELETE", "services"),
        ("DELETE", "horizontalpodautoscalers"),
    ]
    refused(
        run("delete", "other", "--raw", "--kubeconfig", str(kubeconfig)),
        "no Deployment, Service or HorizontalPodAutoscaler 'other' in namespace 'default'",
        "kubectl get deployments -n default",
    )


def test_status_prints_conditions_and_url(double, kubeconfig, package):
    deploy(package, kubeconfig, "--no-wait")
    result = run("status", "iris", "--kubeconfig", str(kubeconfig))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == "InferenceService iris in namespace default: not ready"
    result = run("status", "iris", "--kubeconfig", str(kubeconfig), "--wait", *FAST)
    assert result.stdout.splitlines() == [
        "InferenceService iris in namespace default: ready",
        "  IngressReady=True",
        "  PredictorReady=True",
        "  Ready=True",
        "  URL: http://iris.default.example.com",
    ]
    refused(
        run("status", "nope", "--kubeconfig", str(kubeconfig)),
        "InferenceService 'nope' not found in namespace 'default'",
    )


def test_the_live_display_keeps_a_status_line_on_a_terminal():
    from rich.console import Console

    from tiffin.deploy.kserve.api import INFERENCE_SERVICE
    from tiffin.deploy.kserve.display import LiveDisplay
    from tiffin.deploy.kserve.readiness import Snapshot
    from tiffin.deploy.kserve.waiting import Watch

    stream = StringIO()
    times = iter([0.0, 0.0])  # built and started at 0, then 75 s on (the refresh thread too)

    def clock() -> float:
        return next(times, 75.0)

    display = LiveDisplay(Console(file=stream, force_terminal=True, width=120), clock=clock)
    watch = Watch(
        INFERENCE_SERVICE, "iris", "default", lambda: None, lambda obj: Snapshot(False, "")
    )
    display.start(watch)
    display.show(Snapshot(False, "Ready=False", (("Ready", "Ready=False"),)), 75.0)
    rendered = display.line.render()
    display.stop()
    assert "   1:15  Ready=False" in stream.getvalue()
    assert "waiting for InferenceService iris in namespace default" in stream.getvalue()
    assert "InferenceService iris  Ready=False  1:15" in str(rendered.text)
