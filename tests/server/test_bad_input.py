"""Every kind of bad input gets its protocol's error shape, is counted, and the server goes on."""

from __future__ import annotations

import io

import numpy as np
import pytest

from servers import start_server

ROW = [5.1, 3.5, 1.4, 0.2]

CASES = [
    # (id, method, path, body, headers, status, words the error message must contain)
    ("malformed json v1", "POST", "/v1/models/iris:predict", b'{"instances": [1,', {}, 400,
     "malformed JSON"),
    ("malformed json sagemaker", "POST", "/invocations", b"[[1, 2", {}, 400, "malformed JSON"),
    ("malformed json v2", "POST", "/v2/models/iris/infer", b"{inputs", {}, 400, "malformed JSON"),
    ("malformed json simple", "POST", "/api/ml/predict", b"nope", {}, 400, "malformed JSON"),
    ("ragged csv", "POST", "/invocations", b"1,2,3,4\n5,6\n", {"Content-Type": "text/csv"}, 400,
     "row 2 has 2 fields, expected 4"),
    ("broken npy", "POST", "/invocations", b"\x93NUMPY garbage",
     {"Content-Type": "application/x-npy"}, 400, ".npy"),
    ("v2 length mismatch", "POST", "/v2/models/iris/infer",
     b'{"inputs":[{"name":"features","shape":[2,4],"datatype":"FP64","data":[1,2,3,4,5]}]}', {},
     400, "5 elements"),
    ("v2 unknown datatype", "POST", "/v2/models/iris/infer",
     b'{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP99","data":[1,2,3,4]}]}', {},
     400, "FP99"),
    ("v2 no inputs", "POST", "/v2/models/iris/infer", b'{"id": "x"}', {}, 400, '"inputs"'),
    ("missing instances", "POST", "/v1/models/iris:predict", b'{"rows": [[1,2,3,4]]}', {}, 400,
     '"instances"'),
    ("instances not a list", "POST", "/v1/models/iris:predict", b'{"instances": 3}', {}, 400,
     "must be a list"),
    ("unsupported content type", "POST", "/invocations", b"\x89PNG",
     {"Content-Type": "image/png"}, 415, "image/png"),
    ("unsupported content type v1", "POST", "/v1/models/iris:predict", b"1,2,3,4",
     {"Content-Type": "text/csv"}, 415, "text/csv"),
    ("unsupported content type binary", "POST", "/v1/models/iris:predict_binary", b"{}",
     {"Content-Type": "application/json"}, 415, "application/json"),
    ("broken msgpack", "POST", "/v1/models/iris:predict_binary", b"\xc1\xc1\xc1",
     {"Content-Type": "application/x-msgpack"}, 400, "msgpack"),
    ("unacceptable accept", "POST", "/invocations", b"[[5.1, 3.5, 1.4, 0.2]]",
     {"Accept": "image/png"}, 406, "image/png"),
    ("unknown model v1", "POST", "/v1/models/lily:predict", b'{"instances": [[1,2,3,4]]}', {},
     404, "'lily'"),
    ("unknown model v2", "POST", "/v2/models/lily/infer", b'{"inputs": []}', {}, 404, "'lily'"),
    ("unknown model v2 ready", "GET", "/v2/models/lily/ready", b"", {}, 404, "'lily'"),
    ("unknown model binary", "POST", "/v1/models/lily:predict_binary", b"\x90",
     {"Content-Type": "application/x-msgpack"}, 404, "'lily'"),
    ("wrong shape for the model", "POST", "/invocations", b"[[1, 2, 3]]", {}, 500,
     "predict raised ValueError"),
    ("unknown route", "GET", "/v3/everything", b"", {}, 404, "no route"),
    ("wrong method", "GET", "/invocations", b"", {}, 405, "POST"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "words"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_input_gets_a_json_error(iris_server, method, path, body, headers, status, words):
    response = iris_server.client.request(method, path, content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert words in error
    assert "Traceback" not in response.text
    # and the server keeps serving
    ok = iris_server.client.post("/invocations", json=[ROW])
    assert ok.status_code == 200


def test_valid_npy_of_wrong_rank_is_an_error_not_a_crash(iris_server):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((2, 2, 2)))
    response = iris_server.client.post(
        "/invocations", content=buffer.getvalue(), headers={"Content-Type": "application/x-npy"}
    )
    assert response.status_code == 500
    assert response.json()["error"].startswith("predict raised ValueError")


def test_body_over_max_body_size_is_413(iris_package, tmp_path):
    server = start_server(iris_package, tmp_path, env={"TIFFIN_MAX_BODY_SIZE": "1KB"})
    try:
        server.wait_ready()
        big = [ROW] * 200  # ~5 KB of JSON
        response = server.client.post("/invocations", json=big)
        assert response.status_code == 413
        assert "exceeds max_body_size of 1000 bytes" in response.json()["error"]
        # a chunked body without Content-Length is cut off as well
        chunks = (b"[" + b"[5.1, 3.5, 1.4, 0.2]," * 10 for _ in range(10))
        response = server.client.post("/invocations", content=chunks)
        assert response.status_code == 413
        assert server.client.post("/invocations", json=[ROW]).status_code == 200
        assert server.client.get("/execution-parameters").json()["MaxPayloadInMB"] == 1
    finally:
        server.stop()
