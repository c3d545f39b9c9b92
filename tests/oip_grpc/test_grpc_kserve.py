"""End-to-end: kserve's own InferenceGRPCClient calls every RPC of the iris example's gRPC
port (in kserve's interpreter, .venv-kserve) and gets the answers REST gives."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kserve_env import requires_kserve, run_kserve_script

pytestmark = [pytest.mark.slow, requires_kserve]

CLIENT = Path(__file__).resolve().parent / "kserve_grpc_client.py"
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]


def test_kserve_grpc_client_calls_every_rpc(iris_server, iris_reference) -> None:
    found = run_kserve_script(CLIENT, iris_server.grpc_target, "iris", json.dumps(ROWS))
    assert found["live"] and found["ready"] and found["model_ready"]
    assert found["server_name"] == "tiffin"
    assert found["model_metadata"] == {
        "name": "iris", "versions": ["1"], "inputs": [["features", "FP64", [-1, 4]]],
    }  # fmt: skip

    expected = iris_reference.predict(np.asarray(ROWS)).tolist()
    tensor = {"name": "features", "shape": [3, 4], "datatype": "FP64",
              "data": [x for row in ROWS for x in row]}  # fmt: skip
    rest = iris_server.client.post("/v2/models/iris/infer", json={"inputs": [tensor]}).json()
    assert rest["outputs"][0]["data"] == expected
    for mode in ("raw", "typed"):
        assert found[mode]["id"] == f"kserve-{mode}"
        assert found[mode]["outputs"] == [["species", "INT64", [3], expected]], mode

    assert found["unknown_model"]["code"] == "NOT_FOUND"
    assert json.loads(found["unknown_model"]["details"]) == {"error": "model 'nope' does not exist"}
    assert found["live_after"]
