"""Train the iris classifier on the data that ships with scikit-learn and save it to model/."""

from pathlib import Path

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

MODEL_DIR = Path(__file__).resolve().parent / "model"


def main() -> None:
    iris = load_iris()
    model = LogisticRegression(max_iter=1000).fit(iris.data, iris.target)
    MODEL_DIR.mkdir(exist_ok=True)
    joblib.dump(model, MODEL_DIR / "model.joblib")
    accuracy = model.score(iris.data, iris.target)
    print(f"saved {MODEL_DIR / 'model.joblib'} (training accuracy {accuracy:.3f})")


if __name__ == "__main__":
    main()
