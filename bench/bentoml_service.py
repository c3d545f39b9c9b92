"""The joblib model behind a BentoML service with adaptive batching, for bench/batching.py.

Runs in its own virtual environment (``bench/.venv-bentoml``, which bench/batching.py
creates when it is missing), one worker, access log off::

    BENCH_MODEL_PATH=/tmp/iris/model/model.joblib BENCH_MAX_BATCH_SIZE=64 \\
        bench/.venv-bentoml/bin/bentoml serve bentoml_service:Iris --working-dir bench \\
        --port 8083

``POST /predict`` with ``{"rows": [[5.1, 3.5, 1.4, 0.2]]}`` answers ``[0]``. The API is
``batchable``: BentoML's dispatcher joins the rows of concurrent requests along axis 0
into one ``predict`` call of at most ``BENCH_MAX_BATCH_SIZE`` rows, waiting at most
``BENCH_MAX_LATENCY_MS`` (its latency objective) for a batch.
"""

from __future__ import annotations

import os

import bentoml
import joblib
import numpy as np

MAX_BATCH_SIZE = int(os.environ.get("BENCH_MAX_BATCH_SIZE", "64"))
MAX_LATENCY_MS = int(os.environ.get("BENCH_MAX_LATENCY_MS", "10000"))


@bentoml.service(workers=1, logging={"access": {"enabled": False}})
class Iris:
    """A scikit-learn estimator loaded from a joblib file: rows in, predictions out."""

    def __init__(self) -> None:
        self.estimator = joblib.load(os.environ["BENCH_MODEL_PATH"])

    @bentoml.api(batchable=True, max_batch_size=MAX_BATCH_SIZE, max_latency_ms=MAX_LATENCY_MS)
    def predict(self, rows: np.ndarray) -> np.ndarray:
        return self.estimator.predict(rows)
