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

    def train(self, ctx):
        """Fit on the `train` channel's CSV files (4 features, then the species id), or on
        the iris data that ships with scikit-learn when there is no such channel."""
        from sklearn.linear_model import LogisticRegression

        if "train" in ctx.channels:
            rows = np.vstack(
                [
                    np.loadtxt(f, delimiter=",", ndmin=2)
                    for f in sorted(ctx.channel("train").glob("*.csv"))
                ]
            )
            features, labels = rows[:, :4], rows[:, 4].astype(int)
        else:
            from sklearn.datasets import load_iris

            features, labels = load_iris(return_X_y=True)
        C = float(ctx.hyperparameters.get("C", 1.0))
        model = LogisticRegression(C=C, max_iter=1000).fit(features, labels)
        joblib.dump(model, self.model_path)
        accuracy = model.score(features, labels)
        (ctx.output_dir / "metrics.json").write_text(f'{{"train_accuracy": {accuracy}}}')
