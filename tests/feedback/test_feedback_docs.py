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
