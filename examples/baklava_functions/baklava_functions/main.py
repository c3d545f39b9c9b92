"""Plain functions, no classes: the Baklava way of writing a model.

The "model" is a single factor: the mean of the training numbers (2.0 without data).
train() writes it to the model directory; initialize() reads it once per process;
predict(payload) scales one request; execute(records) scales a batch of records.
"""

import json
import os
from pathlib import Path

MODEL_FILE = "factor.json"
DEFAULT_FACTOR = 2.0
_state = {}


def _model_dir() -> Path:
    return Path(os.environ.get("SM_MODEL_DIR") or os.environ.get("MODEL_DIR") or "/opt/ml/model")


def train():
    """Average every number in the `train` channel's files; save it as the factor."""
    channel = Path(os.environ.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"))
    numbers = [
        float(value)
        for path in sorted(channel.glob("*"))
        if path.is_file()
        for value in path.read_text().split()
    ]
    factor = sum(numbers) / len(numbers) if numbers else DEFAULT_FACTOR
    model_dir = _model_dir()
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / MODEL_FILE).write_text(json.dumps({"factor": factor}))
    print(f"trained on {len(numbers)} numbers: factor {factor}")


def initialize():
    """Load the factor once (the default when no model was trained)."""
    path = _model_dir() / MODEL_FILE
    _state["factor"] = json.loads(path.read_text())["factor"] if path.is_file() else DEFAULT_FACTOR


def _factor() -> float:
    if "factor" not in _state:
        initialize()
    return _state["factor"]


def predict(payload):
    """{"values": [1, 2]} -> a JSON string {"scaled": [2.0, 4.0]}, as Baklava functions return."""
    values = payload.get("values", []) if isinstance(payload, dict) else payload
    return json.dumps({"scaled": [float(v) * _factor() for v in values]})


def execute(records):
    """One result per record: each record is a number or a list of numbers."""
    factor = _factor()
    return [
        {"scaled": [float(v) * factor for v in record]}
        if isinstance(record, list)
        else {"scaled": float(record) * factor}
        for record in records
    ]
