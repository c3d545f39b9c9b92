"""End-to-end: the iris image (tiffin[grpc] is a default extra) answers Open Inference
Protocol V2 over gRPC on port 8081, with the same prediction as over REST on 8080."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from imagetests import RUN_ID, podman, wait_for_ping

from servers import free_port

pytestmark = pytest.mark.container

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]


@pytest.fixture(scope="module")
def grpc_container(iris_image: str) -> Iterator[tuple[str, str]]:
    """The iris image with both ports published; (REST base URL, gRPC host:port)."""
    port, grpc_port = free_port(), free_port()
    name = f"tiffin-test-grpc-{RUN_ID}"
    podman(
        "run", "--detach", "--rm", "--name", name,
        "--publish", f"127.0.0.1:{port}:8080", "--publish", f"127.0.0.1:{grpc_port}:8081",
        iris_image,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_ping(url)
        yield url, f"127.0.0.1:{grpc_port}"
    finally:
        podman("rm", "--force", name, check=False)


def test_the_image_answers_v2_over_grpc_as_over_rest(grpc_container, iris_reference) -> None:
    grpcclient = pytest.importorskip("tritonclient.grpc")
    url, target = grpc_container
    expected = iris_reference.predict(np.asarray(ROWS)).tolist()
    tensor = {"name": "features", "shape": [3, 4], "datatype": "FP64",
              "data": [x for row in ROWS for x in row]}  # fmt: skip
    rest = httpx.post(f"{url}/v2/models/iris/infer", json={"inputs": [tensor]}, timeout=30)
    assert rest.json()["outputs"][0]["data"] == expected

    client = grpcclient.InferenceServerClient(target)
    try:
        assert client.is_server_ready()
        assert client.is_model_ready("iris")
        features = grpcclient.InferInput("features", [3, 4], "FP64")
        features.set_data_from_numpy(np.asarray(ROWS, dtype=np.float64))
        result = client.infer("iris", [features])
        (output,) = result.get_response().outputs
        assert result.as_numpy(output.name).tolist() == expected
    finally:
        client.close()
