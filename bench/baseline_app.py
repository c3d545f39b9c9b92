"""The floor of Python serving overhead: the iris routes in plain Starlette, doing the minimum.

Loads the joblib model named by ``BENCH_MODEL_PATH`` at startup and answers the same JSON
routes tiffin serves, calling ``model.predict`` inline in the async handler (no threadpool,
no validation, no metrics). Run it with uvicorn, uvloop and httptools::

    BENCH_MODEL_PATH=/tmp/iris/model/model.joblib \\
        python -m uvicorn --app-dir bench baseline_app:app --loop uvloop --http httptools \\
        --no-access-log --port 8081
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import joblib
import numpy as np
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MODEL_PATH_ENV = "BENCH_MODEL_PATH"
MODEL_NAME = "iris"
state: dict[str, Any] = {}


def predict(rows: Any) -> np.ndarray:
    """The model's predictions for a list of feature rows."""
    return state["model"].predict(np.asarray(rows, dtype=np.float64))


def json_response(value: Any) -> Response:
    """Serialize ``value`` (numpy arrays included) as a JSON response."""
    return Response(orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY),
                    media_type="application/json")  # fmt: skip


async def invocations(request: Request) -> Response:
    """SageMaker: rows in, predictions out."""
    return json_response(predict(orjson.loads(await request.body())))


async def kserve_v1(request: Request) -> Response:
    """KServe V1: ``{"instances": rows}`` in, ``{"predictions": ...}`` out."""
    body = orjson.loads(await request.body())
    return json_response({"predictions": predict(body["instances"])})


async def oip_v2(request: Request) -> Response:
    """Open Inference Protocol V2: the first input tensor in, one INT64 tensor out."""
    tensor = orjson.loads(await request.body())["inputs"][0]
    features = np.asarray(tensor["data"], dtype=np.float64).reshape(tensor["shape"])
    result = state["model"].predict(features)
    output = {"name": "species", "datatype": "INT64", "shape": list(result.shape), "data": result}
    return json_response({"model_name": MODEL_NAME, "outputs": [output]})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Load the model before the first request."""
    state["model"] = joblib.load(os.environ[MODEL_PATH_ENV])
    yield


app = Starlette(
    routes=[
        Route("/invocations", invocations, methods=["POST"]),
        Route(f"/v1/models/{MODEL_NAME}:predict", kserve_v1, methods=["POST"]),
        Route(f"/v2/models/{MODEL_NAME}/infer", oip_v2, methods=["POST"]),
        Route("/api/ml/predict", invocations, methods=["POST"]),
    ],
    lifespan=lifespan,
)
