"""Fixtures of the model URI tests: two real iris models, a package without one, S3 and HTTP."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from storagetests import HttpServer, http_server, sagemaker_tar


@dataclass(frozen=True)
class Models:
    """Two trained iris models as files: ``a`` the real one, ``b`` one that always says 2."""

    root: Path

    @property
    def a_dir(self) -> Path:
        return self.root / "a"

    @property
    def b_dir(self) -> Path:
        return self.root / "b"

    @property
    def a_tar(self) -> Path:
        return self.root / "a.tar.gz"


@pytest.fixture(autouse=True)
def storage_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No model dir or URI from the outer environment; a cache dir of this test's own."""
    for name in ("MODEL_DIR", "SM_MODEL_DIR", "STORAGE_URI", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("TIFFIN_CACHE_DIR", str(cache))
    return cache


@pytest.fixture(scope="session")
def models(iris_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Models:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.dummy import DummyClassifier

    root = tmp_path_factory.mktemp("models")
    (root / "a").mkdir()
    shutil.copy(iris_package / "model" / "model.joblib", root / "a" / "model.joblib")
    (root / "b" / "notes").mkdir(parents=True)
    features, labels = load_iris(return_X_y=True)
    constant = DummyClassifier(strategy="constant", constant=2).fit(features, labels)
    joblib.dump(constant, root / "b" / "model.joblib")
    (root / "b" / "notes" / "README.txt").write_text("always says virginica\n")
    sagemaker_tar(root / "a", root / "a.tar.gz")
    return Models(root)


@pytest.fixture(scope="session")
def bare_iris(iris_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The iris package with no model/ dir: it serves only a model fetched from a URI."""
    target = tmp_path_factory.mktemp("bare") / "iris"
    shutil.copytree(iris_package, target, ignore=shutil.ignore_patterns("model", "__pycache__"))
    return target


@pytest.fixture
def s3_models(aws_env: dict[str, str], models: Models) -> str:
    """Bucket ``models``: ``iris/a/model.tar.gz`` (SageMaker style) and loose files under
    ``iris/b/``. Returns the bucket name."""
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.upload_file(str(models.a_tar), "models", "iris/a/model.tar.gz")
    for path in models.b_dir.rglob("*"):
        if path.is_file():
            key = f"iris/b/{path.relative_to(models.b_dir).as_posix()}"
            s3.upload_file(str(path), "models", key)
    return "models"


@pytest.fixture
def http_models(models: Models) -> Iterator[HttpServer]:
    with http_server(models.root) as server:
        yield server
