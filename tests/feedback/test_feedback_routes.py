"""The server half of the feedback loop, in process: the feedback routes, the seed's model
class as written, model-reported metrics on /metrics, rejected metrics, events, request
ids, and only the output reaching the client on every protocol."""

from __future__ import annotations

import json
import logging
import sys

import httpx
import msgpack
import pytest
from apptests import ask, exposition, make_app, run

from servers import FIXTURES, free_port
from tiffin.events import EventPublisher, Topics
from tiffin.events.fake import MemoryProducer
from tiffin.metrics import Result, gauge
from tiffin.server.app import TiffinApp
from tiffin.server.grpc_config import GrpcOptions

sys.path.insert(0, str(FIXTURES / "feedback"))
from seed_model import UserModel

ROWS = [[6.0, 1.0], [4.0, 2.0]]
SEED_BODY = {"data": {"names": ["sepal_length", "sepal_width"], "ndarray": ROWS}}


def json_of(response: httpx.Response) -> object:
    assert response.status_code == 200, response.text
    return response.json()


# ---- the seed's class --------------------------------------------------------------


def test_the_seed_model_gets_the_names_and_the_client_only_its_output():
    async def scenario(client: httpx.AsyncClient, app: TiffinApp) -> None:
        answer = await client.post("/api/ml/predict", json=SEED_BODY)
        assert json_of(answer) == {"y_predicted": [1, 0]}
        assert len(answer.headers["x-request-id"]) == 32  # a new id
        assert app.dataplane.handle.instance.names == ["sepal_length", "sepal_width"]
        v1 = await client.post("/v1/models/m:predict",
                               json={"instances": ROWS, "names": ["a", "b"]})  # fmt: skip
        assert json_of(v1) == {"predictions": {"y_predicted": [1, 0]}}
        assert app.dataplane.handle.instance.names == ["a", "b"]
        await client.post("/v1/models/m:predict", json={"instances": ROWS})
        assert app.dataplane.handle.instance.names == []  # asked for, none given
        assert 'rows_scored_total{model="m",version="2"} 6.0' in exposition(app)

    run(make_app(UserModel), scenario)


def test_feedback_reaches_the_seed_model_which_reports_its_accuracy():
    async def scenario(client: httpx.AsyncClient, app: TiffinApp) -> None:
        seed = {"data": ROWS, "y_true": [1, 1], "y_predicted": [1, 0]}
        answer = await client.post("/api/ml/feedback", json=seed)
        assert json_of(answer) == {"y_true": [1, 1], "y_predicted": [1, 0]}
        assert 'Accuracy{model="m",version="2"} 0.5' in exposition(app)
        tiffin_shape = {"inputs": ROWS[:1], "truth": [1], "predicted": [1]}
        json_of(await client.post("/v1/models/model:feedback", json=tiffin_shape))
        seldon = {"request": {"data": {"names": ["a", "b"], "ndarray": ROWS[:1]}},
                  "response": {"data": {"ndarray": [0]}},
                  "truth": {"data": {"ndarray": [0]}}, "reward": 1}  # fmt: skip
        json_of(await client.post("/v1/models/m:feedback", json=seldon))
        text = exposition(app)
        assert 'Accuracy{model="m",version="2"} 0.75' in text  # 3 of the 4 values so far
        assert 'F1{model="m",version="2"} 0.8' in text
        unknown = await client.post("/v1/models/other:feedback", json=tiffin_shape)
        assert unknown.status_code == 404

    run(make_app(UserModel), scenario)


def test_a_model_without_feedback_answers_501_with_a_hint():
    class Plain:
        def predict(self, inputs):
            return inputs

    (answer,) = ask(Plain, ("POST", "/api/ml/feedback", {"json": {"truth": [1]}}))
    assert answer.status_code == 501
    assert answer.json()["error"] == "model 'm' takes no feedback: its class has no feedback method"
    assert "def feedback(self, inputs, truth, predicted)" in answer.json()["hint"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"truth": [1, 0, 1], "predicted": [1, 0]},
         "truth has 3 values but predicted has 2: the feedback pairs each true value"),
        ({"y_true": [1], "y_predicted": [1, 1]}, "truth has 1 values but predicted has 2"),
        ({"inputs": ROWS, "predicted": [1]}, 'the feedback has no "truth" (or "y_true")'),
        ({"truth": [1], "y_true": [1]}, "the feedback gives truth twice: truth and y_true"),
        ({"truth": [1], "labels": [1]}, "unknown key(s) in the feedback: labels"),
        ([1, 2], "feedback is a JSON object"),
    ],
)  # fmt: skip
def test_malformed_feedback_is_400_with_the_reason(body: object, error: str):
    (answer,) = ask(UserModel, ("POST", "/api/ml/feedback", {"json": body}))
    assert answer.status_code == 400, answer.text
    assert error in answer.json()["error"]


# ---- metrics the model reports ------------------------------------------------------


class BadMetrics:
    """Reports two bad metrics with a good one; then reports the good one as a counter."""

    calls = 0

    def predict(self, inputs):
        BadMetrics.calls += 1
        if BadMetrics.calls > 2:
            return Result(inputs, metrics=[{"name": "fine", "type": "COUNTER", "value": 1}])
        metrics = [{"name": "acc", "type": "HISTOGRAM", "value": 1},
                   {"name": "f1", "type": "GAUGE", "value": "high"},
                   {"name": "fine", "type": "GAUGE", "value": 0.5}]  # fmt: skip
        return Result(inputs, metrics=metrics)


def test_a_bad_metric_is_logged_and_counted_and_the_prediction_answered(caplog):
    async def scenario(client: httpx.AsyncClient, app: TiffinApp) -> None:
        for _ in range(3):
            assert json_of(await client.post("/api/ml/predict", json=[1, 2])) == [1, 2]
        text = exposition(app)
        assert 'tiffin_metric_rejections_total{model="m",version="2"} 5.0' in text
        assert 'fine{model="m",version="2"} 0.5' in text  # the good one was recorded

    BadMetrics.calls = 0
    with caplog.at_level(logging.WARNING, logger="tiffin.server"):
        run(make_app(BadMetrics), scenario)
    rejected = [r.getMessage() for r in caplog.records if "metric rejected" in r.getMessage()]
    assert len(rejected) == 3  # once per distinct reason
    assert "invalid metric 'acc' (#1): unknown type 'HISTOGRAM'" in rejected[0]
    assert "invalid metric 'f1' (#2): the value must be a number, got 'high'" in rejected[1]
    assert "reported as GAUGE before, now as COUNTER" in rejected[2]


class Reporting:
    """Returns its output with a metric, as a Result or as a pair."""

    def predict(self, inputs):
        if isinstance(inputs, dict) and "pair" in inputs:
            return [7, 8], [gauge("confidence", 0.9)]
        return Result([7, 8], metrics=[gauge("confidence", 0.9)])


V2_BODY = {"id": "v2-id", "inputs": [{"name": "x", "shape": [2], "datatype": "FP64",
                                      "data": [1, 2]}]}  # fmt: skip


def test_every_protocol_answers_only_the_output():
    packed = msgpack.packb({"instances": [[1, 2]]})
    answers = ask(
        Reporting,
        ("POST", "/invocations", {"json": [[1, 2]]}),
        ("POST", "/api/ml/predict", {"json": {"pair": True}}),
        ("POST", "/v1/models/m:predict", {"json": {"instances": [[1, 2]]}}),
        ("POST", "/v2/models/m/infer", {"json": V2_BODY}),
        ("POST", "/v1/models/m:predict_binary",
         {"content": packed, "headers": {"content-type": "application/x-msgpack"}}),
    )  # fmt: skip
    assert [a.status_code for a in answers] == [200] * 5
    assert answers[0].json() == [7, 8] and answers[1].json() == [7, 8]
    assert answers[2].json() == {"predictions": [7, 8]}
    assert answers[3].json()["outputs"][0]["data"] == [7, 8]
    assert answers[3].headers["x-request-id"] == "v2-id"
    assert msgpack.unpackb(answers[4].content) == {"predictions": [7, 8]}


def test_grpc_answers_only_the_output_too():
    grpc = pytest.importorskip("grpc")
    from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2 as pb
    from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2_grpc as pb_grpc

    async def scenario(client: httpx.AsyncClient, app: TiffinApp) -> None:
        assert app.grpc is not None
        async with grpc.aio.insecure_channel(app.grpc.address) as channel:
            request = pb.ModelInferRequest(model_name="m")
            tensor = request.inputs.add(name="x", datatype="FP64", shape=[2])
            tensor.contents.fp64_contents.extend([1, 2])
            response = await pb_grpc.GRPCInferenceServiceStub(channel).ModelInfer(request)
        assert list(response.outputs[0].contents.int64_contents) == [7, 8]
        assert len(response.id) == 32  # no id given: a new one, as its event's
        assert 'confidence{model="m",version="2"} 0.9' in exposition(app)

    options = GrpcOptions("127.0.0.1", free_port(), 1024 * 1024, False, 5.0)
    run(make_app(Reporting, grpc=options), scenario)


# ---- request ids and events -----------------------------------------------------------


def with_memory_events(app: TiffinApp) -> MemoryProducer:
    """Give the app's reporter a publisher writing to memory."""
    producer = MemoryProducer()
    assert app.metrics is not None and app.dataplane.reporter is not None
    app.dataplane.reporter.publisher = EventPublisher(
        producer, topics=Topics("p", "f", "m"), registry=app.metrics.registry
    )
    return producer


def test_predict_and_feedback_are_published_with_the_request_id(monkeypatch, caplog):
    monkeypatch.setenv("AUDIT_TOPICS", "audit,not a topic!")

    async def scenario(client: httpx.AsyncClient, app: TiffinApp) -> list:
        producer = with_memory_events(app)
        headers = {"x-request-id": "req-1"}
        answer = await client.post("/api/ml/predict", json=SEED_BODY, headers=headers)
        assert answer.headers["x-request-id"] == "req-1"
        feedback = {"data": ROWS, "y_true": [1, 0], "y_predicted": [1, 0]}
        headers = {"x-request-id": "req-2"}
        answer = await client.post("/api/ml/feedback", json=feedback, headers=headers)
        assert json_of(answer)["y_true"] == [1, 0]
        publisher = app.dataplane.reporter.publisher  # type: ignore[union-attr]
        assert publisher.flush(5)
        assert 'tiffin_events_dropped_total{reason="invalid_topic"} 1.0' in exposition(app)
        assert publisher.close(1) == 0
        return producer.sent

    with caplog.at_level(logging.WARNING, logger="tiffin.events"):
        sent = run(make_app(UserModel), scenario)
    assert [m.topic() for m in sent] == ["p", "f", "audit"]
    predict, feedback = json.loads(sent[0].value()), json.loads(sent[1].value())
    assert predict["type"] == "io.tiffin.predict" and sent[0].key() == b"req-1"
    assert predict["data"]["request_id"] == "req-1" and predict["data"]["input"] == ROWS
    assert predict["data"]["output"] == {"y_predicted": [1, 0]}
    assert predict["data"]["metrics"][0]["name"] == "rows_scored"
    assert feedback["data"]["request_id"] == "req-2" and feedback["data"]["input"] == ROWS
    assert [m["name"] for m in feedback["data"]["metrics"]] == ["Accuracy", "F1"]
    assert "invalid Kafka topic name 'not a topic!'" in caplog.text
