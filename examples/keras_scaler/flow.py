"""The keras-plus-scaler flow: from a notebook's network to a served package.

A regression network trained on standardized features needs the same scaling
when it serves. This walks through it as a notebook would, cell by cell:

1. fit a StandardScaler on sklearn's diabetes data and train a small Keras
   network on the scaled features;
2. tiffin.package() the network, with the fitted scaler saved into data/;
3. edit the generated model class: load the scaler, scale in preprocess;
4. check that the package predicts what the notebook does.

Run it with `python flow.py [WORKDIR]` (default: ./build). It leaves the package
in WORKDIR/diabetes-net and the notebook's predictions in WORKDIR/expected.json;
then `tiffin serve WORKDIR/diabetes-net`.
"""

# %% Setup: Keras runs on its torch backend
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import json
import subprocess
import sys
from pathlib import Path

import joblib
import keras
import numpy as np
import sklearn
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import tiffin

WORKDIR = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "build").absolute()
WORKDIR.mkdir(parents=True, exist_ok=True)

# %% 1. Scale the features and train a small regression network
features, target = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(features, target, random_state=0)
scaler = StandardScaler().fit(X_train)

keras.utils.set_random_seed(0)
net = keras.Sequential(
    [
        keras.Input((features.shape[1],)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1),
    ]
)
net.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
net.fit(scaler.transform(X_train), y_train, epochs=40, batch_size=128, verbose=0)
test_mse = net.evaluate(scaler.transform(X_test), y_test, verbose=0)
print(f"trained: test MSE {test_mse:.0f} (predicting the mean: {np.var(y_test):.0f})")

# %% 2. Package the network, with the fitted scaler in data/
joblib.dump(scaler, WORKDIR / "scaler.joblib")
package = tiffin.package(
    net,
    WORKDIR / "diabetes-net",
    data_files=[WORKDIR / "scaler.joblib"],
    requirements=[f"scikit-learn=={sklearn.__version__}", f"joblib=={joblib.__version__}"],
    overwrite=True,
)
print(f"packaged into {package.path}")

# %% 3. Edit the generated model class: load the scaler, scale every request
EDITS = [
    # the scaler was pickled by joblib
    ("import keras\n", "import joblib\nimport keras\n"),
    # ask for data_dir too (by name), and find the scaler there
    (
        "    def __init__(self, model_dir: Path) -> None:\n"
        '        self.model_path = Path(model_dir) / "model.keras"\n',
        "    def __init__(self, model_dir: Path, data_dir: Path) -> None:\n"
        '        self.model_path = Path(model_dir) / "model.keras"\n'
        '        self.scaler_path = Path(data_dir) / "scaler.joblib"\n',
    ),
    # load the fitted scaler next to the network, once per worker
    (
        "        self.model = read_artifact(self.model_path, read_model)\n",
        "        self.model = read_artifact(self.model_path, read_model)\n"
        "        self.scaler = read_artifact(self.scaler_path, joblib.load)\n",
    ),
    # scale every request exactly as the training data was
    (
        '        """Rows of numbers (a single row is a batch of one) -> a 2-D float32 array."""\n'
        "        return as_array(inputs, dtype=np.float32)\n",
        '        """Rows of raw features -> standardized by the training scaler, as float32."""\n'
        "        features = as_array(inputs, dtype=np.float64)\n"
        "        return self.scaler.transform(features).astype(np.float32)\n",
    ),
]


def edit(path: Path, edits: list[tuple[str, str]]) -> None:
    """Replace each snippet of ``path`` once, as a user would in an editor."""
    source = path.read_text()
    for before, after in edits:
        if source.count(before) != 1:
            raise SystemExit(f"cannot edit {path.name}: expected one {before.strip()!r}")
        source = source.replace(before, after)
    path.write_text(source)


edit(package.path / "serving.py", EDITS)

# %% 4. The package predicts what the notebook does
rows = X_test[:8]
expected = net.predict(scaler.transform(rows), verbose=0)
(WORKDIR / "expected.json").write_text(
    json.dumps({"rows": rows.tolist(), "predictions": expected.tolist()})
)

in_process = tiffin.Package(package.path).predict(rows.tolist())  # loads from the directory
np.testing.assert_allclose(in_process, expected, rtol=1e-5)

command = ["tiffin", "predict", str(package.path), "--data", json.dumps(rows.tolist())]
shell = subprocess.run(
    [sys.executable, "-m", *command],
    capture_output=True,
    text=True,
    check=True,
)
np.testing.assert_allclose(json.loads(shell.stdout), expected, rtol=1e-5)
print(f"tiffin predict matches the notebook on {len(rows)} rows; serve it with:")
print(f"  tiffin serve {package.path}")
