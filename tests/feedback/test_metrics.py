"""Model-reported metrics: validation, what predict may return, Prometheus updates."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

import tiffin.metrics
from tiffin.errors import FeedbackError, InvalidMetric
from tiffin.metrics import (
    Metric,
    MetricType,
    ResponseFormat,
    Result,
    counter,
    create_response,
    gauge,
    parse_metrics,
    timer,
    unwrap_result,
)
from tiffin.metrics.prometheus import MetricsRecorder


def test_the_public_surface_does_not_drift():
    assert sorted(tiffin.metrics.__all__) == [
        "Metric", "MetricType", "NOT_GIVEN", "ResponseFormat", "Result", "counter",
        "create_response", "gauge", "parse_metrics", "timer", "unwrap_result",
    ]  # fmt: skip
    assert issubclass(InvalidMetric, FeedbackError)


def test_helpers_build_typed_metrics():
    assert gauge("accuracy", 0.93, split="test") == Metric(
        "accuracy", MetricType.GAUGE, 0.93, {"split": "test"}
    )
    assert counter("rows").value == 1.0
    assert timer("preprocess", np.float32(12.5)).type is MetricType.TIMER
    assert counter("items", np.int64(3)).to_dict() == {
        "name": "items", "type": "COUNTER", "value": 3.0, "labels": {},
    }  # fmt: skip


def test_seed_and_seldon_dicts_are_read():
    seed = Metric.from_dict({"name": "Accuracy", "type": "GAUGE", "value": 0.5})
    seldon = Metric.from_dict({"key": "calls", "type": "counter", "value": 2, "tags": {"a": 1}})
    assert (seed.name, seed.type, seed.value) == ("Accuracy", MetricType.GAUGE, 0.5)
    assert (seldon.name, seldon.type, seldon.labels) == ("calls", MetricType.COUNTER, {"a": "1"})


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ({"name": "acc", "type": "HISTOGRAM", "value": 1}, "unknown type 'HISTOGRAM'"),
        ({"name": "acc", "type": "GAUGE", "value": "0.9"}, "must be a number, got '0.9' (str)"),
        ({"name": "acc", "type": "GAUGE", "value": None}, "must be a number"),
        ({"name": "acc", "type": "GAUGE", "value": True}, "must be a number"),
        ({"name": "acc", "type": "GAUGE", "value": math.nan}, "must be finite"),
        ({"name": "n", "type": "COUNTER", "value": -1}, "must not be negative (a counter only"),
        ({"name": "t", "type": "TIMER", "value": -5}, "must not be negative (a duration)"),
        ({"name": "1acc", "type": "GAUGE", "value": 1}, "Prometheus' rule"),
        ({"name": "my-acc", "type": "GAUGE", "value": 1}, "Prometheus' rule"),
        ({"name": "", "type": "GAUGE", "value": 1}, "non-empty string"),
        ({"name": "tiffin_requests", "type": "GAUGE", "value": 1}, "reserved"),
        ({"name": "__x", "type": "GAUGE", "value": 1}, "reserved"),
        ({"name": "acc", "type": "GAUGE", "value": 1, "labels": {"1x": "a"}}, "bad label name"),
        ({"name": "acc", "type": "GAUGE", "value": 1, "labels": {"a-b": "a"}}, "bad label name"),
        ({"name": "acc", "type": "GAUGE", "value": 1, "labels": {"model": "m"}}, "reserved"),
        ({"name": "acc", "type": "GAUGE", "value": 1, "labels": {"a": [1]}}, "got list"),
        ({"name": "acc", "type": "GAUGE", "value": 1, "unit": "s"}, "unknown field(s) unit"),
        ({"name": "acc", "type": "GAUGE"}, "missing 'value'"),
        (["acc", "GAUGE", 1], "expected a dict or a Metric, got list"),
    ],
)
def test_a_bad_metric_says_why(item, reason):
    with pytest.raises(InvalidMetric) as caught:
        parse_metrics([{"name": "fine", "type": "GAUGE", "value": 1}, item])
    assert reason in caught.value.message
    assert "(#2)" in caught.value.message
    assert "GAUGE, COUNTER, TIMER" in caught.value.hint


def test_a_single_dict_is_not_a_list_of_metrics():
    with pytest.raises(InvalidMetric, match="expected a list of metrics, got dict"):
        parse_metrics({"name": "acc", "type": "GAUGE", "value": 1})  # type: ignore[arg-type]


class SeedModel:
    """The ml-deploy README's model, with tiffin's import instead of ml_deploy's."""

    def predict(self, X):
        return create_response(input=X, target={"y_predicted": [1, 0]})

    def feedback(self, input_data, y_true, y_predicted):
        acc_metric = {"name": "Accuracy", "type": "GAUGE", "value": 0.5}
        f1_metric = {"name": "F1", "type": "GAUGE", "value": 0.66}
        return ResponseFormat(
            input=input_data,
            target={"y_true": y_true, "y_predicted": y_predicted},
            list_metrics=[acc_metric, f1_metric],
            topics=["topic1", "topic2"],
        )


def test_a_seed_model_runs_modulo_imports():
    model = SeedModel()
    predicted = unwrap_result(model.predict([[1, 2]]))
    assert predicted.output == {"y_predicted": [1, 0]}
    assert (predicted.metrics, predicted.input) == ((), [[1, 2]])
    fed = unwrap_result(model.feedback([[1, 2]], [1, 1], [1, 0]))
    assert [(m.name, m.value) for m in fed.metrics] == [("Accuracy", 0.5), ("F1", 0.66)]
    assert fed.topics == ("topic1", "topic2")


def test_what_predict_may_return():
    plain = unwrap_result([1, 2])
    assert (plain.output, plain.metrics, plain.topics) == ([1, 2], (), ())
    assert not plain.input  # NOT_GIVEN: the event records the request's inputs
    pair = unwrap_result(([1], [gauge("acc", 1.0)]))
    assert pair.output == [1] and pair.metrics[0].name == "acc"
    # a pair whose second item is not Metric objects is an output like any other
    assert unwrap_result(([1], [{"name": "x"}])).output == ([1], [{"name": "x"}])
    assert unwrap_result(("a", [])).output == ("a", [])
    result = Result("out", metrics=[{"name": "n", "type": "COUNTER", "value": 2}], topics="t")
    assert unwrap_result(result) is result and result.topics == ("t",)
    # a bad metric never costs the prediction: it is set aside for the server to count
    kept = Result("out", metrics=[{"name": "n", "type": "COUNT", "value": 2}, counter("ok")])
    assert [m.name for m in kept.metrics] == ["ok"]
    (rejected,) = kept.rejected
    assert isinstance(rejected, InvalidMetric) and "(#1): unknown type 'COUNT'" in rejected.message
    one_dict = Result("out", metrics={"name": "n"})  # type: ignore[arg-type]
    assert one_dict.rejected[0].reason == "expected a list of metrics, got dict"
    bad = {"name": "x", "type": "GAUGE", "value": "?"}
    bad_list = create_response(target=1, list_metrics=[bad])
    assert bad_list.output == 1 and bad_list.metrics == () and len(bad_list.rejected) == 1
    # a topic name is checked when the event is sent (logged, counted, skipped there)
    assert Result("out", topics=[1]).topics == (1,)  # type: ignore[list-item]


def test_the_recorder_sets_gauges_adds_counters_and_times_in_seconds():
    registry = CollectorRegistry()
    recorder = MetricsRecorder("iris", "1", registry=registry)
    recorder.record([gauge("Accuracy", 0.5), counter("rows", 3, split="a"), timer("fit", 250)])
    recorder.record([gauge("Accuracy", 0.75), counter("rows", 2, split="a")])
    text = generate_latest(registry).decode()
    assert 'Accuracy{model="iris",version="1"} 0.75' in text
    assert 'rows_total{model="iris",split="a",version="1"} 5.0' in text
    assert 'fit_seconds_sum{model="iris",version="1"} 0.25' in text
    assert 'fit_seconds_bucket{le="0.25",model="iris",version="1"} 1.0' in text


def test_a_name_keeps_its_type_and_labels():
    recorder = MetricsRecorder("iris", "1")
    recorder.record([gauge("acc", 1.0, split="a")])
    with pytest.raises(InvalidMetric, match="reported as GAUGE before, now as COUNTER"):
        recorder.record([counter("acc")])
    with pytest.raises(InvalidMetric, match=r"labels \['split'\] before, now with \[\]"):
        recorder.record([gauge("rows", 1.0), gauge("acc", 2.0)])
    assert "rows{" not in generate_latest(recorder.registry).decode()  # nothing of that call


WORKER = textwrap.dedent("""
    import sys
    from tiffin.metrics import counter, gauge, timer
    from tiffin.metrics.prometheus import MetricsRecorder

    recorder = MetricsRecorder("iris", "1")
    amount, value = int(sys.argv[1]), float(sys.argv[2])
    recorder.record([counter("predictions", amount), gauge("accuracy", value),
                     timer("latency", 100)])
    print(__import__("os").getpid())
""")


def test_workers_counters_are_summed_and_the_latest_gauge_wins(tmp_path: Path):
    """Two real processes write to one PROMETHEUS_MULTIPROC_DIR, as gunicorn workers do."""
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    pids = [subprocess.run([sys.executable, "-c", WORKER, amount, value], env=env, check=True,
                           capture_output=True, text=True, timeout=60).stdout.strip()
            for amount, value in (("3", "0.5"), ("4", "0.8"))]  # fmt: skip

    text = _merged(tmp_path)
    assert 'predictions_total{model="iris",version="1"} 7.0' in text
    assert 'latency_seconds_count{model="iris",version="1"} 2.0' in text
    assert 'accuracy{model="iris",version="1"} 0.8' in text  # one series: the latest value

    mark_process_dead(int(pids[1]), str(tmp_path))  # what gunicorn's child_exit does
    assert 'accuracy{model="iris",version="1"} 0.5' in _merged(tmp_path)
    assert 'predictions_total{model="iris",version="1"} 7.0' in _merged(tmp_path)


def _merged(directory: Path) -> str:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))
    return generate_latest(registry).decode()
