"""The msgpack binary route and the simple REST route."""

from __future__ import annotations

import msgpack
import numpy as np

from tiffin.codecs import decoder_for

ROWS = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], dtype=np.float32)
MSGPACK = decoder_for("application/x-msgpack")


def test_msgpack_round_trips_numpy_arrays(iris_server, iris_reference):
    response = iris_server.client.post(
        "/v1/models/iris:predict_binary",
        content=MSGPACK.encode({"instances": ROWS}),
        headers={"Content-Type": "application/x-msgpack"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-msgpack"
    predictions = MSGPACK.decode(response.content)["predictions"]
    assert isinstance(predictions, np.ndarray)
    assert predictions.dtype == iris_reference.predict(ROWS).dtype
    assert predictions.shape == (2,)
    np.testing.assert_array_equal(predictions, iris_reference.predict(ROWS))


def test_msgpack_body_without_envelope_goes_to_the_model_as_is(iris_server, iris_reference):
    response = iris_server.client.post(
        "/v1/models/iris:predict_binary",
        content=MSGPACK.encode(ROWS),
        headers={"Content-Type": "application/x-msgpack"},
    )
    np.testing.assert_array_equal(MSGPACK.decode(response.content), iris_reference.predict(ROWS))


def test_plain_msgpack_lists_work_too(iris_server, iris_reference):
    body = msgpack.packb({"instances": ROWS.tolist()})
    response = iris_server.client.post(
        "/v1/models/iris:predict_binary",
        content=body,
        headers={"Content-Type": "application/msgpack"},
    )
    assert response.status_code == 200
    assert list(MSGPACK.decode(response.content)["predictions"]) == list(
        iris_reference.predict(ROWS)
    )


def test_simple_rest(iris_server, iris_reference):
    response = iris_server.client.post("/api/ml/predict", json=ROWS.tolist())
    assert response.status_code == 200
    assert response.json() == iris_reference.predict(ROWS).tolist()
