"""examples/keras_scaler runs as documented, and its served predictions match the notebook's."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from helpers_frameworks import need, package_name

from servers import EXAMPLES, start_server

need("keras")
need("torch")
need("sklearn")

FLOW = EXAMPLES / "keras_scaler" / "flow.py"


@pytest.mark.slow
def test_served_predictions_match_the_notebook(tmp_path) -> None:
    workdir = tmp_path / "work"
    done = subprocess.run(
        [sys.executable, str(FLOW), str(workdir)], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tiffin predict matches the notebook" in done.stdout
    package = workdir / "diabetes-net"
    assert (package / "data" / "scaler.joblib").is_file()
    assert "self.scaler.transform(features)" in (package / "serving.py").read_text()
    notebook = json.loads((workdir / "expected.json").read_text())

    server = start_server(package, tmp_path)
    try:
        server.wait_ready(timeout=120)
        name = package_name(package)
        response = server.client.post(
            f"/v1/models/{name}:predict", json={"instances": notebook["rows"]}
        )
    finally:
        server.stop()
    assert response.status_code == 200, (response.text, server.log)
    served = np.asarray(response.json()["predictions"])
    np.testing.assert_allclose(served, notebook["predictions"], rtol=1e-5)
    assert np.ptp(served) > 1  # a real regression, not one constant for every row
