"""docs/feedback.md's examples run as written: the model class and the SQL queries."""

from __future__ import annotations

import re

import psycopg

from servers import ROOT
from tiffin.events import FEEDBACK, Event, encode_event
from tiffin.metrics import Result, gauge
from tiffin.sink import rows_of
from tiffin.sink.database import MetricsTable

PAGE = (ROOT / "docs" / "feedback.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE, re.DOTALL)


def test_the_model_class_reports_its_metrics():
    namespace: dict = {}
    exec(blocks("python")[0], namespace)
    model = namespace["IrisClassifier"]()
    predicted = model.predict([[5.1, 3.5, 1.4, 0.2], [6.0, 2.2, 5.0, 1.5]])
    assert isinstance(predicted, Result) and predicted.output == [0, 0]
    assert [(m.name, m.value) for m in predicted.metrics] == [("rows_scored", 2.0),
                                                             ("batch_size", 2.0)]  # fmt: skip
    fed = model.feedback([0, 1], [0, 0])
    assert fed.output == {"accuracy": 0.5} and fed.topics == ("model-audit",)
    assert fed.metrics[0].name == "accuracy" and fed.metrics[1].type.value == "TIMER"


def test_the_sql_queries_read_the_sink_table(database: str):
    table = MetricsTable(database, "tiffin_metrics", "test").open()
    for model, accuracy in (("iris", 0.5), ("iris", 0.75), ("wine", 0.9)):
        event = Event(FEEDBACK, model, "1", "r", metrics=(gauge("accuracy", accuracy),))
        table.insert(rows_of(encode_event(event)))
    table.close()
    latest, hourly = blocks("sql")[0].split(";")[:2]
    with psycopg.connect(database) as connection:
        assert [row[:3] for row in connection.execute(latest)] == [("iris", "1", 0.75),
                                                                   ("wine", "1", 0.9)]  # fmt: skip
        means = [(row[0], row[2]) for row in connection.execute(hourly)]
        assert means == [("iris", 0.625), ("wine", 0.9)]


def block_with(text: str) -> str:
    (found,) = [block for block in blocks("python") if text in block]
    return found


def test_the_ml_deploy_class_runs_as_the_page_shows(tmp_path, monkeypatch):
    import pickle

    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from tiffin.model.handle import ModelHandle

    features, labels = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=1000).fit(features, labels)
    (tmp_path / "my_dumped_classifier.pkl").write_bytes(pickle.dumps(model))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(block_with("class UserModel"), namespace)
    handle = ModelHandle(namespace["UserModel"], name="user_model").load()
    rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
    assert handle.predict(rows, names=["a", "b", "c", "d"])["y_predicted"].tolist() == [0, 2]
    handle.feedback(rows, [0, 1], [0, 2])
    fed = handle.feedback([[5.9, 3.0, 5.1, 1.8]], [2], [2])
    assert [(m.name, round(m.value, 4)) for m in fed.metrics] == [("Accuracy", 0.6667),
                                                                 ("F1", 0.5556)]  # fmt: skip
    assert fed.topics == ("model-audit",)


def test_the_custom_endpoints_run_as_the_page_shows():
    from apptests import make_app, run

    namespace: dict = {}
    exec(block_with("class Churn"), namespace)

    async def scenario(client, app) -> list:
        return [(await client.get("/threshold")).json(),
                (await client.post("/threshold", json={"value": 0.25})).json(),
                (await client.post("/api/ml/predict", json=[[0.2, 0.4]])).json(),
                (await client.get("/scores/c-7", params={"rows": "3"})).json()]  # fmt: skip

    assert run(make_app(namespace["Churn"]), scenario) == [
        {"threshold": 0.5}, {"threshold": 0.25}, [1], {"customer": "c-7", "rows": 3},
    ]  # fmt: skip
