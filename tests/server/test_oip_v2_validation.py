"""Every violation of the Open Inference Protocol's inference_request schema is a 400 that
names the field, on a real `tiffin serve`; the server goes on serving."""

from __future__ import annotations

import json

import pytest

from tiffin.codecs.v2_schema import check_inference_request
from tiffin.errors import InvalidInput

ROW = [5.1, 3.5, 1.4, 0.2]


def features(**changes):
    tensor = {"name": "features", "shape": [1, 4], "datatype": "FP64", "data": ROW}
    tensor.update(changes)
    return {key: value for key, value in tensor.items() if value is not ...}


def request(**changes):
    body = {"inputs": [features()]}
    body.update(changes)
    return body


CASES = [
    # (id, body, words the error must contain)
    ("body not an object", [ROW], "expected a JSON object"),
    ("id not a string", request(id=7), "id: expected a string, got a number"),
    ("parameters not an object", request(parameters=[1]), "parameters: expected an object"),
    ("parameters a string", request(parameters="fast"), "parameters: expected an object"),
    ("parameters null", request(parameters=None), "parameters: expected an object, got null"),
    ("no inputs", {"id": "x"}, "inputs: required"),
    ("inputs not an array", request(inputs={"name": "features"}), "inputs: expected an array"),
    ("input not an object", request(inputs=[3]), "inputs[0]: expected an object"),
    ("input name missing", request(inputs=[features(name=...)]), "inputs[0].name: required"),
    ("input name not a string", request(inputs=[features(name=1)]),
     "inputs[0].name: expected a string"),
    ("shape not an array", request(inputs=[features(shape=4)]),
     "inputs[0].shape: expected an array"),
    ("shape of strings", request(inputs=[features(shape=[1, "4"])]),
     "inputs[0].shape[1]: expected an integer, got a string"),
    ("shape of floats", request(inputs=[features(shape=[1.5, 4])]),
     "inputs[0].shape[0]: expected an integer, got a number"),
    ("shape of booleans", request(inputs=[features(shape=[True, 4])]),
     "inputs[0].shape[0]: expected an integer, got a boolean"),
    ("negative shape", request(inputs=[features(shape=[-1, 4])]),
     "inputs[0].shape[0]: expected a non-negative integer"),
    ("datatype missing", request(inputs=[features(datatype=...)]),
     "inputs[0].datatype: required"),
    ("datatype unknown", request(inputs=[features(datatype="FP99")]),
     "inputs[0].datatype: expected one of BOOL, UINT8"),
    ("input parameters not an object", request(inputs=[features(parameters=[])]),
     "inputs[0].parameters: expected an object"),
    ("data missing", request(inputs=[features(data=...)]), "inputs[0].data: required"),
    ("data not an array", request(inputs=[features(data="5.1,3.5")]),
     "inputs[0].data: expected an array"),
    ("data holds null", request(inputs=[features(data=[5.1, None, 1.4, 0.2])]),
     "input 'features' data holds null"),
    ("data holds an object", request(inputs=[features(data=[5.1, {"a": 1}, 1.4, 0.2])]),
     "input 'features' data"),
    ("bytes data holds null", request(inputs=[features(datatype="BYTES", data=["a", None])]),
     "input 'features' data holds null"),
    ("outputs not an array", request(outputs={"name": "species"}), "outputs: expected an array"),
    ("output not an object", request(outputs=["species"]), "outputs[0]: expected an object"),
    ("output name missing", request(outputs=[{}]), "outputs[0].name: required"),
    ("output name not a string", request(outputs=[{"name": 3}]),
     "outputs[0].name: expected a string"),
    ("output parameters not an object", request(outputs=[{"name": "species", "parameters": 1}]),
     "outputs[0].parameters: expected an object"),
    ("several violations", request(id=7, outputs=[{"name": None}]),
     "id: expected a string, got a number; outputs[0].name: expected a string, got null"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_schema_violation_is_a_400_naming_the_field(iris_server, body, words):
    response = iris_server.client.post("/v2/models/iris/infer", content=json.dumps(body))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert words in response.json()["error"]
    assert "Traceback" not in response.text
    ok = iris_server.client.post("/v2/models/iris/infer", json=request(id="7"))
    assert ok.status_code == 200
    assert ok.json()["id"] == "7"


def test_binary_inputs_need_no_data() -> None:
    tensor = features(data=..., parameters={"binary_data_size": 32})
    check_inference_request({"inputs": [tensor]})
    with pytest.raises(InvalidInput, match=r"inputs\[0\]\.data: required"):
        check_inference_request({"inputs": [features(data=...)]})


def test_problems_are_capped() -> None:
    body = {"inputs": [features(name=i) for i in range(50)]}
    with pytest.raises(InvalidInput) as caught:
        check_inference_request(body)
    assert caught.value.message.count("expected a string") == 10
    assert caught.value.message.endswith("(and 40 more)")
