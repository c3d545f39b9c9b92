"""The same joblib model behind KServe's own Python model server, for bench/serve.py.

Runs in its own virtual environment (``bench/.venv-kserve``, which bench/serve.py creates
when it is missing), one uvicorn worker, no gRPC, no per-request log lines::

    BENCH_MODEL_PATH=/tmp/iris/model/model.joblib bench/.venv-kserve/bin/python \\
        bench/kserve_app.py --http_port 8082

It answers KServe V1 ``POST /v1/models/iris:predict`` with ``{"predictions": [...]}``;
``predict`` is a plain method, run as KServe runs any sync ``predict``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import joblib
import kserve
import numpy as np

MODEL_PATH_ENV = "BENCH_MODEL_PATH"
MODEL_NAME = "iris"


class JoblibModel(kserve.Model):
    """A scikit-learn estimator loaded from a joblib file: instances in, predictions out."""

    def __init__(self, name: str, path: str) -> None:
        super().__init__(name)
        self.path = path
        self.estimator: Any = None
        self.load()

    def load(self) -> bool:
        self.estimator = joblib.load(self.path)
        self.ready = True
        return self.ready

    def predict(self, payload: dict, headers: dict[str, str] | None = None) -> dict:
        rows = np.asarray(payload["instances"], dtype=np.float64)
        return {"predictions": self.estimator.predict(rows).tolist()}


def main() -> None:
    model = JoblibModel(MODEL_NAME, os.environ[MODEL_PATH_ENV])
    logging.getLogger("uvicorn.access").disabled = True
    server = kserve.ModelServer(workers=1, enable_grpc=False, enable_latency_logging=False)
    server.start([model])


if __name__ == "__main__":
    main()
