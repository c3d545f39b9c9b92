"""Small fitted models to package."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression


@pytest.fixture(scope="session")
def iris_data() -> tuple[np.ndarray, np.ndarray]:
    return load_iris(return_X_y=True)


@pytest.fixture(scope="session")
def classifier(iris_data) -> LogisticRegression:
    return LogisticRegression(max_iter=500).fit(*iris_data)


@pytest.fixture(scope="session")
def rows(iris_data) -> list[list[float]]:
    return iris_data[0][::25].tolist()
