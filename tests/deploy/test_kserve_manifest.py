"""`tiffin kserve manifest`: golden manifests, what each option puts where, and input
refused before anything is rendered, each with one line naming the field or the flag.

After an intended change, regenerate the golden files and review their difference:

    TIFFIN_REGENERATE_GOLDEN=1 .venv/bin/pytest tests/deploy/test_kserve_manifest.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from kserve_helpers import GOLDEN, clean_env, documents, package, refused, run

__all__ = ["clean_env", "package"]

REGENERATE = os.environ.get("TIFFIN_REGENERATE_GOLDEN") == "1"
ALL_OPTIONS = (
    "--name", "iris-prod", "--namespace", "ml", "--registry", "registry.example.com/team/iris",
    "--model-name", "iris", "--storage-uri", "s3://models/iris/v3", "--cpu", "1:2",
    "--memory", "2Gi", "--gpu", "1", "--min-replicas", "2", "--max-replicas", "6",
    "--scale-metric", "rps", "--scale-target", "50", "--env", "LOG_LEVEL=debug",
    "--env", "TIFFIN_WORKERS=2", "--arg", "--max_buffer_size=104857600",
    "--service-account", "models-reader", "--label", "team=ml",
    "--annotation", "example.com/owner=ml-team",
)  # fmt: skip
CASES = {
    "kserve-default": ("PKG",),
    "kserve-all-options": ("PKG", *ALL_OPTIONS),
    "kserve-grpc": ("registry.example.com/iris:0.1.0", "--grpc", "--min-replicas", "0"),
    "kserve-storage-spec": ("PKG", "--registry", "registry.example.com",
                            "--storage-uri", "gs://models/iris", "--storage-uri-in", "spec"),
    "kserve-raw": ("PKG", "--raw", "--registry", "registry.example.com", "--cpu", "500m:1",
                   "--memory", "1Gi", "--max-replicas", "4", "--scale-target", "70",
                   "--storage-uri", "s3://models/iris/v3", "--namespace", "ml"),
}  # fmt: skip


def render(package: Path, *args: str) -> str:
    result = run("manifest", *(str(package) if arg == "PKG" else arg for arg in args))
    assert result.exit_code == 0, (result.stderr, result.exception)
    return result.stdout


@pytest.mark.parametrize("case", sorted(CASES))
def test_manifest_matches_its_golden_file(package, case):
    text = render(package, *CASES[case])
    golden = GOLDEN / f"{case}.yaml"
    if REGENERATE:
        golden.write_text(text)
    assert text == golden.read_text()


def test_the_default_is_one_http_port_and_the_package_name(package):
    (isvc,) = documents(render(package, "PKG"))
    assert isvc["metadata"]["name"] == "iris"
    assert "namespace" not in isvc["metadata"]  # kubectl apply -n decides
    (container,) = isvc["spec"]["predictor"]["containers"]
    assert container["name"] == "kserve-container"
    assert container["image"] == "iris:0.1.0"  # what `tiffin build` tags
    assert container["env"] == [{"name": "MODEL_NAME", "value": "iris"}]
    assert container["ports"] == [{"name": "http1", "containerPort": 8080, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 8080}


def test_a_local_build_tag_is_pointed_out_on_stderr(package):
    result = run("manifest", str(package))
    assert "tiffin: iris:0.1.0 is the tag `tiffin build` gives the package" in result.stderr
    assert "`tiffin push iris:0.1.0 REGISTRY`, then pass --registry REGISTRY" in result.stderr
    assert "tiffin:" not in run("manifest", str(package), "--image", "r.example.com/i:1").stderr


def test_grpc_routes_the_h2c_port_and_still_probes_http(package):
    (isvc,) = documents(render(package, "PKG", "--grpc"))
    (container,) = isvc["spec"]["predictor"]["containers"]
    assert container["ports"] == [{"name": "h2c", "containerPort": 8081, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"]["port"] == 8080


@pytest.mark.parametrize(
    ("where", "env", "args", "storage_uris"),
    [
        ("env", [("STORAGE_URI", "s3://b/m")], None, None),
        ("spec", [("MODEL_DIR", "/mnt/models")], None, [{"uri": "s3://b/m",
                                                          "mountPath": "/mnt/models"}]),
        ("args", [], ["--model-uri=s3://b/m"], None),
    ],
)  # fmt: skip
def test_storage_uri_goes_where_storage_uri_in_says(package, where, env, args, storage_uris):
    text = render(package, "PKG", "--storage-uri", "s3://b/m", "--storage-uri-in", where)
    predictor = documents(text)[0]["spec"]["predictor"]
    (container,) = predictor["containers"]
    expected_env = [{"name": "MODEL_NAME", "value": "iris"}] + [
        {"name": n, "value": v} for n, v in env
    ]
    assert container["env"] == expected_env
    assert container.get("args") == args
    assert predictor.get("storageUris") == storage_uris


def test_cpu_or_memory_scaling_picks_knatives_hpa_class(package):
    text = render(package, "PKG", "--cpu", "1", "--max-replicas", "3", "--scale-metric", "cpu")
    assert documents(text)[0]["metadata"]["annotations"] == {
        "autoscaling.knative.dev/class": "hpa.autoscaling.knative.dev"
    }
    raw_mode = ("--annotation", "serving.kserve.io/deploymentMode=RawDeployment")
    text = render(package, "PKG", "--cpu", "1", "--scale-metric", "cpu", *raw_mode)
    assert documents(text)[0]["metadata"]["annotations"] == {
        "serving.kserve.io/deploymentMode": "RawDeployment"
    }


def test_raw_without_max_replicas_has_no_autoscaler(package):
    kinds = [doc["kind"] for doc in documents(render(package, "PKG", "--raw"))]
    assert kinds == ["Deployment", "Service"]
    deployment = documents(render(package, "PKG", "--raw", "--min-replicas", "3"))[0]
    assert deployment["spec"]["replicas"] == 3


def test_output_file_is_written_for_kubectl(package, tmp_path):
    target = tmp_path / "iris.yaml"
    result = run("manifest", str(package), "--image", "r.example.com/iris:1", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert f"apply it with `kubectl apply -f {target}`" in result.stderr
    assert documents(target.read_text())[0]["kind"] == "InferenceService"


REFUSED = [
    (["--min-replicas", "-1"], "spec.predictor.minReplicas: -1 is less than the minimum of 0",
     "--min-replicas 0 or more"),
    (["--min-replicas", "3", "--max-replicas", "2"],
     "spec.predictor.minReplicas: 3 is more than maxReplicas 2", "must not be above"),
    (["--max-replicas", "-2"], "spec.predictor.maxReplicas: -2 is less than the minimum of 0",
     "--max-replicas 1 or more"),
    (["--scale-target", "0"], "spec.predictor.scaleTarget: 0 is less than the minimum of 1",
     "--scale-target 1 or more"),
    (["--cpu", "1", "--scale-metric", "cpu", "--scale-target", "150"],
     "spec.predictor.scaleTarget: 150 is more than the maximum of 100", "percentage"),
    (["--scale-metric", "cpu"], "spec.predictor.scaleMetric: cpu needs a CPU request on the "
     "container", "--cpu"),
    (["--cpu", "1", "--scale-metric", "cpu", "--min-replicas", "0"],
     "spec.predictor.minReplicas: 0 is less than the minimum of 1", "keeps 1 replica"),
    (["--scale-metric", "rps", "--annotation", "serving.kserve.io/deploymentMode=Standard"],
     "spec.predictor.scaleMetric: 'rps' needs Knative's own autoscaler; an HPA scales on cpu "
     "or memory", "--scale-metric cpu or memory"),
    (["--memory", "512m"], "spec.predictor.containers[0].resources.requests.memory: '512m' is "
     "0.512 bytes: 'm' means thousandths (e.g. 512Mi, 2Gi or 2G)", "--memory"),
    (["--memory", "2GB"], "spec.predictor.containers[0].resources.requests.memory: '2GB' is "
     "not a Kubernetes quantity (e.g. 512Mi, 2Gi or 2G)", "--memory"),
    (["--cpu", "2:1"], "spec.predictor.containers[0].resources.requests.cpu: 2 is more than "
     "the limit 1", "REQUEST:LIMIT"),
    (["--cpu", "-1"], "spec.predictor.containers[0].resources.requests.cpu: '-1' is not "
     "positive", "--cpu"),
    (["--cpu", ":2"], "--cpu ':2' has no request", "REQUEST:LIMIT"),
    (["--name", "Iris_Model"], "metadata.name: 'Iris_Model' must be lowercase letters, digits "
     "and '-', start with a letter and end with a letter or digit", "--name"),
    (["--name", "x" * 64], f"metadata.name: '{'x' * 64}' is 64 characters long; the most is 63",
     "--name"),
    (["--name", "a" * 40, "--namespace", "b" * 20], "metadata.name: '" + "a" * 40 + "' in "
     "namespace '" + "b" * 20 + "' makes KServe's host label '" + "a" * 40 + "-predictor-" +
     "b" * 20 + "', 71 characters long; the most is 63", "shorter --name"),
    (["--namespace", "ML"], "metadata.namespace: 'ML' must be lowercase letters, digits and "
     "'-', starting and ending with a letter or digit", "--namespace"),
    (["--env", "MODEL_NAME=other"], "spec.predictor.containers[0].env[1].name: MODEL_NAME is "
     "set twice", "set MODEL_NAME with --model-name"),
    (["--env", "1X=2"], "spec.predictor.containers[0].env[1].name: '1X' must be letters, "
     "digits, '_', '-' or '.', not starting with a digit", "--env"),
    (["--env", "NOVALUE"], "--env 'NOVALUE' is not KEY=VALUE", "--env LOG_LEVEL=debug"),
    (["--env", "A=1", "--env", "A=2"], "--env A is given twice", "once"),
    (["--label", "team=ml team"], "metadata.labels['team']: 'ml team' must be at most 63 "
     "letters, digits, '-', '_' or '.', starting and ending with a letter or digit", "--label"),
    (["--annotation", "bad key=x"], "metadata.annotations['bad key']: the key must be at most "
     "63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, after "
     "an optional DNS prefix (example.com/)", "--annotation"),
    (["--service-account", "Reader"], "spec.predictor.serviceAccountName: 'Reader' must be "
     "lowercase letters, digits and '-' in parts joined by '.'", "--service-account"),
    (["--image", "Registry/Iris"], "spec.predictor.containers[0].image: 'Registry/Iris' is not "
     "an image reference (REGISTRY/REPOSITORY:TAG, lowercase repository)", "registry.example"),
    (["--storage-uri-in", "args"], "--storage-uri-in says where --storage-uri goes, and there "
     "is none", "--storage-uri URI"),
    (["--raw", "--grpc"], "--grpc picks the one port KServe routes; --raw always exposes both "
     "(http 8080, grpc 8081)", "drop --grpc"),
    (["--raw", "--storage-uri", "s3://b/m", "--storage-uri-in", "spec"], "--storage-uri-in "
     "spec needs KServe's storage initializer, which --raw has not", "the image fetches"),
    (["--raw", "--scale-metric", "cpu"], "--scale-metric and --scale-target need an "
     "autoscaler", "--max-replicas above --min-replicas"),
    (["--raw", "--max-replicas", "3", "--scale-metric", "rps"], "--scale-metric rps needs "
     "KServe (Knative); with --raw a HorizontalPodAutoscaler scales on cpu or memory",
     "--scale-metric cpu"),
    (["--raw", "--max-replicas", "3"], "spec.metrics[0].resource: cpu utilization needs a cpu "
     "request on the container", "--cpu 1"),
    (["--raw", "--cpu", "1", "--min-replicas", "0", "--max-replicas", "3"],
     "spec.minReplicas: 0 is less than the minimum of 1", "keeps 1 replica"),
    (["--raw", "--label", "app.kubernetes.io/name=other"], "spec.template.metadata.labels["
     "'app.kubernetes.io/name']: is the selector of the Deployment's pods and must be its name",
     "drop --label app.kubernetes.io/name"),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "message", "hint"), REFUSED,
                         ids=[" ".join(case[0])[:60] for case in REFUSED])  # fmt: skip
def test_bad_input_is_one_line_naming_the_field_or_flag(package, extra, message, hint):
    refused(run("manifest", str(package), *extra), message, hint)


def test_a_source_that_is_neither_package_nor_image_is_refused(clean_env):
    refused(
        run("manifest", "./no/such/package"),
        "'./no/such/package' is neither a package (no such file or directory) nor an image "
        "reference (REGISTRY/REPOSITORY:TAG, lowercase repository)",
        "pass a package directory",
    )
    refused(run("manifest", "registry.example.com/iris:1", "--registry", "r.example.com"),
            "--registry is for a package PATH, and 'registry.example.com/iris:1' is an image "
            "(no such file here)", "drop --registry")  # fmt: skip


def test_a_broken_spec_is_a_spec_error(tmp_path):
    (tmp_path / "tiffin.yaml").write_text("name: [1, 2]\n")
    result = run("manifest", str(tmp_path))
    assert result.exit_code == 2 and "tiffin.yaml" in result.stderr


def test_the_name_of_an_image_comes_from_its_repository(clean_env):
    result = run("manifest", "registry.example.com:5000/team/Iris_clf:2")
    assert result.exit_code == 9  # not a reference: the repository must be lowercase
    text = run("manifest", "registry.example.com:5000/team/iris_clf:2").stdout
    (isvc,) = documents(text)
    assert isvc["metadata"]["name"] == "iris-clf"
    assert "env" not in isvc["spec"]["predictor"]["containers"][0]  # the image names its model
