"""Shared pieces of the `tiffin kserve` tests: a tiny package, the CLI run in-process, the
Kubernetes API test double (see kube_double.py) with a kubeconfig pointing at it, and
KServe's CRD as the tests keep it (tests/deploy/kserve_crd/, KServe, Apache-2.0)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from kube_double import FakeKubernetes

from tiffin.cli.main import cli

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
CRD = HERE / "kserve_crd" / "serving.kserve.io_inferenceservices.yaml.gz"


def run(*args: str) -> Result:
    """``tiffin kserve ARGS`` in this process; stdout and stderr apart."""
    return CliRunner().invoke(cli, ["kserve", *args])


def refused(result: Result, message: str, hint: str | None = None, code: int = 9) -> None:
    """Exit ``code`` with exactly ``error: MESSAGE`` (and a hint holding ``hint``)."""
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.startswith(("error:", "hint:"))]
    assert lines[0] == f"error: {message}", result.stderr
    if hint is not None:
        assert lines[1].startswith("hint: ") and hint in lines[1], result.stderr
    assert len(lines) <= 2, result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def documents(text: str) -> list[dict[str, Any]]:
    """The objects of a YAML stream."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def crd_schema() -> dict[str, Any]:
    """The v1beta1 openAPIV3Schema of the full CRD kept with the tests."""
    crd = yaml.load(gzip.decompress(CRD.read_bytes()), Loader=yaml.CSafeLoader)
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1beta1"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A package directory ``iris`` (spec only: nothing here imports the model)."""
    root = tmp_path / "iris"
    root.mkdir()
    (root / "tiffin.yaml").write_text('name: iris\nversion: "0.1.0"\nmodel: model:Model\n')
    return root


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No kubeconfig from the environment and no in-cluster variables; HOME is empty."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    return home


@pytest.fixture
def double(clean_env: Path) -> Iterator[FakeKubernetes]:
    """The Kubernetes API test double, on 127.0.0.1 for one test."""
    fake = FakeKubernetes()
    yield fake
    fake.stop()


@pytest.fixture
def kubeconfig(double: FakeKubernetes, tmp_path: Path) -> Path:
    """A kubeconfig with one context, ``test``, pointing at the double."""
    return double.kubeconfig(tmp_path / "kubeconfig")
