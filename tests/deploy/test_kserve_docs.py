"""docs/deploy.md's KServe walk-through, run as written against the Kubernetes API TEST
DOUBLE (kube_double.py; no API server can run on this machine).

Every `tiffin kserve ...` line of the section's bash blocks runs in order, in a
directory holding the package `iris`, with KUBECONFIG pointing at the double; the YAML
and the `status` output the page shows are what the commands print. Lines of other
tools (`tiffin build`, `tiffin push`, `kubectl`, `curl`, `grpcurl`) are left out.
"""

from __future__ import annotations

import re
import shlex

import pytest
from kserve_helpers import clean_env, documents, double, kubeconfig, run
from kube_double import DEPLOYMENT_PROGRESS, ISVC_PROGRESS

from servers import ROOT

__all__ = ["clean_env", "double", "kubeconfig"]

FENCE = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)


def section() -> str:
    return (ROOT / "docs" / "deploy.md").read_text().split("# Deploying to KServe", 1)[1]


def blocks(kind: str) -> list[str]:
    return [body for lang, body in FENCE.findall(section()) if lang == kind]


def commands() -> list[list[str]]:
    lines = []
    for block in blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("tiffin kserve "):
                lines.append(shlex.split(line, comments=True)[2:])
    return lines


@pytest.fixture
def walkthrough(double, kubeconfig, tmp_path, monkeypatch):
    """The package ``iris`` as `tiffin init iris` names it, and a double that is quick."""
    (tmp_path / "iris").mkdir()
    (tmp_path / "iris" / "tiffin.yaml").write_text('name: iris\nversion: "1"\nmodel: m:M\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    double.scripts.update(
        inferenceservices=ISVC_PROGRESS[-1:], deployments=DEPLOYMENT_PROGRESS[-1:]
    )
    double.deletion_gets = 0
    return double


def test_every_tiffin_kserve_line_of_the_page_runs(walkthrough):
    ran = commands()
    assert len(ran) == 11 and {args[0] for args in ran} == {
        "manifest",
        "deploy",
        "status",
        "delete",
    }
    for args in ran:
        result = run(*args)
        assert result.exit_code == 0, (args, result.stderr)
    kinds = [r.body["kind"] for r in walkthrough.sent("PATCH")]
    assert kinds.count("InferenceService") == 3
    assert kinds[-2:] == ["Service", "HorizontalPodAutoscaler"]


def test_the_manifest_shown_is_the_one_printed(walkthrough):
    (shown,) = [block for block in blocks("yaml") if "InferenceService" in block]
    printed = run("manifest", "iris", "--registry", "registry.example.com").stdout
    assert documents(printed) == documents(shown)
    assert printed == shown


def test_the_status_shown_is_the_one_printed(walkthrough):
    run("deploy", "iris", "--registry", "registry.example.com", "--no-wait")
    (shown,) = [block for block in blocks("") if block.startswith("InferenceService iris")]
    assert run("status", "iris").stdout == shown
