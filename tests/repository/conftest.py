"""A model repository of three frameworks and one broken model, served by `tiffin serve`."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import FIXTURES, Server, start_server


@pytest.fixture(scope="session")
def boost_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An xgboost classifier on iris, written by tiffin.package."""
    import xgboost
    from sklearn.datasets import load_iris

    import tiffin

    features, target = load_iris(return_X_y=True)
    model = xgboost.XGBClassifier(n_estimators=8, max_depth=2, random_state=0)
    target_dir = tmp_path_factory.mktemp("boost") / "boost"
    tiffin.package(model.fit(features, target), target_dir, name="boost")
    return target_dir


@pytest.fixture(scope="session")
def repository(
    iris_package: Path, boost_package: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A directory of four packages: sklearn iris, xgboost, plain Python, and a broken one."""
    root = tmp_path_factory.mktemp("repository") / "models"
    root.mkdir()
    shutil.copytree(iris_package, root / "iris")
    shutil.copytree(boost_package, root / "boost")
    for name in ("doubler", "broken"):
        shutil.copytree(FIXTURES / "repository" / name, root / name)
    return root


@pytest.fixture(scope="module")
def repo_server(repository: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`tiffin serve` of the repository, with SageMaker's multi-model endpoints on."""
    server = start_server(repository, tmp_path_factory.mktemp("repo-server"), "--timeout", "10",
                          env={"SAGEMAKER_MULTI_MODEL": "true"})  # fmt: skip
    server.wait_ready()
    yield server
    server.stop()
