"""Serve the iris LogisticRegression saved by train.py."""

from pathlib import Path

import joblib
import numpy as np

SPECIES = ["setosa", "versicolor", "virginica"]


class IrisClassifier:
    """Predict the species id (0 setosa, 1 versicolor, 2 virginica) of iris flowers."""

    inputs = [{"name": "features", "datatype": "FP64", "shape": [-1, 4]}]
    outputs = [{"name": "species", "datatype": "INT64", "shape": [-1]}]

    def __init__(self, model_dir: Path) -> None:
        self.model_path = Path(model_dir) / "model.joblib"

    def load(self) -> None:
        self.model = joblib.load(self.model_path)

    def preprocess(self, inputs):
        features = np.asarray(inputs, dtype=np.float64)
        return features.reshape(1, -1) if features.ndim == 1 else features

    def predict(self, features):
        return self.model.predict(features)
