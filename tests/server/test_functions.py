"""A Baklava-style package of plain functions, served and run in-process."""

from __future__ import annotations

import pytest

import tiffin
from servers import FIXTURES, start_server

PACKAGE = FIXTURES / "baklava_functions"


@pytest.fixture(scope="module")
def scorer(tmp_path_factory):
    server = start_server(PACKAGE, tmp_path_factory.mktemp("scorer"), "--workers", "1")
    server.wait_ready()
    yield server
    server.stop()


def test_json_string_result_is_returned_as_json(scorer):
    response = scorer.client.post("/invocations", json={"a": 1, "b": 2.5, "c": "x"})
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in "abc"} == {"a": 2, "b": 3.5, "c": "x"}


def test_initialize_ran_once_in_the_worker_before_requests(scorer):
    pids = {scorer.client.post("/invocations", json={}).json()["initialized_in"] for _ in range(5)}
    assert len(pids) == 1
    assert pids != {scorer.process.pid}  # it ran in the worker, not in the master


def test_every_protocol_reaches_the_function(scorer):
    v1 = scorer.client.post("/v1/models/scorer:predict", json={"instances": [1, 2]})
    assert v1.json()["predictions"]["echo"] == [1, 2]
    simple = scorer.client.post("/api/ml/predict", json={"n": 41})
    assert simple.json()["n"] == 42


def test_in_process_load_runs_the_same_functions():
    model = tiffin.load(PACKAGE)
    assert model.predict({"n": 1})["n"] == 2
