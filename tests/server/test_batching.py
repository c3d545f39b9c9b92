"""Adaptive batching end to end: a real `tiffin serve` of a batching model and concurrent real
clients over every protocol at once (httpx for SageMaker, KServe V1, V2 REST, simple REST
and msgpack; tritonclient over HTTP and gRPC).

The model (tests/fixtures/batching/batch_recorder.py) answers each row with its id and the
rows, width and number of the predict call it was part of, and lists the rows of every
call at ``GET /batches``.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pytest
import tritonclient.grpc as triton_grpc
import tritonclient.http as triton_http
from tritonclient.utils import InferenceServerException

from servers import FIXTURES, Server, start_server
from tiffin.codecs import decoder_for

pytestmark = pytest.mark.slow

MODEL = "batch_recorder"
MAX_BATCH_SIZE = 16
TIMEOUT = 2.0
MSGPACK = decoder_for("application/x-msgpack")


@dataclass
class Answer:
    """What one request got back: its answer rows ``[id, rows, width, call]``, or an error."""

    rows: list[list[float]] | None
    error: str = ""


class HttpClient:
    """The httpx-based protocols, one keep-alive connection per client."""

    def __init__(self, server: Server, protocol: str) -> None:
        self.protocol = protocol
        self.client = httpx.Client(base_url=server.url, timeout=30)
        self.client.get("/v2/health/live")  # connected before the first request

    def ask(self, rows: list[list[float]]) -> Answer:
        response = getattr(self, self.protocol)(rows)
        if response.status_code != 200:
            return Answer(None, f"{response.status_code} {response.text}")
        return Answer(self.read(response))

    def sagemaker(self, rows: list[list[float]]) -> httpx.Response:
        return self.client.post("/invocations", json=rows)

    def kserve_v1(self, rows: list[list[float]]) -> httpx.Response:
        return self.client.post(f"/v1/models/{MODEL}:predict", json={"instances": rows})

    def oip_v2(self, rows: list[list[float]]) -> httpx.Response:
        tensor = {"name": "features", "shape": [len(rows), len(rows[0])], "datatype": "FP64",
                  "data": [x for row in rows for x in row]}  # fmt: skip
        return self.client.post(f"/v2/models/{MODEL}/infer", json={"inputs": [tensor]})

    def simple(self, rows: list[list[float]]) -> httpx.Response:
        return self.client.post("/api/ml/predict", json=rows)

    def msgpack(self, rows: list[list[float]]) -> httpx.Response:
        body = MSGPACK.encode({"instances": np.asarray(rows, dtype=np.float32)})
        return self.client.post(f"/v1/models/{MODEL}:predict_binary", content=body,
                                headers={"Content-Type": "application/x-msgpack"})  # fmt: skip

    def read(self, response: httpx.Response) -> list[list[float]]:
        if self.protocol == "msgpack":
            return np.asarray(MSGPACK.decode(response.content)["predictions"]).tolist()
        body = response.json()
        if self.protocol == "kserve_v1":
            return body["predictions"]
        if self.protocol == "oip_v2":
            (output,) = body["outputs"]
            return np.reshape(output["data"], output["shape"]).tolist()
        return body

    def close(self) -> None:
        self.client.close()


class TritonClient:
    """tritonclient over HTTP (binary tensors) or gRPC (raw contents)."""

    def __init__(self, server: Server, protocol: str) -> None:
        self.module = triton_http if protocol == "triton_http" else triton_grpc
        target = f"127.0.0.1:{server.port}" if protocol == "triton_http" else server.grpc_target
        self.client = self.module.InferenceServerClient(target)
        self.client.is_server_live()  # connected before the first request

    def ask(self, rows: list[list[float]]) -> Answer:
        features = np.asarray(rows, dtype=np.float64)
        tensor = self.module.InferInput("features", list(features.shape), "FP64")
        tensor.set_data_from_numpy(features)
        try:
            result = self.client.infer(MODEL, [tensor])
        except InferenceServerException as exc:
            return Answer(None, str(exc))
        return Answer(result.as_numpy("answer").tolist())

    def close(self) -> None:
        self.client.close()


PROTOCOLS = ("sagemaker", "kserve_v1", "oip_v2", "simple", "msgpack", "triton_http",
             "triton_grpc")  # fmt: skip


def client_for(server: Server, protocol: str) -> HttpClient | TritonClient:
    if protocol.startswith("triton"):
        return TritonClient(server, protocol)
    return HttpClient(server, protocol)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    started = start_server(FIXTURES / "batching" / "batch_recorder.py",
                           tmp_path_factory.mktemp("batching"),
                           "--max-batch-size", str(MAX_BATCH_SIZE), "--max-latency-ms", "20",
                           "--timeout", str(TIMEOUT))  # fmt: skip
    started.wait_ready()
    yield started
    started.stop()


def batches(server: Server) -> list[int]:
    """The rows of every predict call the model made so far."""
    return server.client.get("/batches").json()["sizes"]


Request = tuple[str, list[list[float]]]
"""A protocol and the rows to send over it."""


def send_together(server: Server, requests: list[Request]) -> list[Answer]:
    """Send every request from its own client and thread at the same moment; their answers.

    Each thread makes its own client: tritonclient.http runs on gevent, whose sockets
    belong to the thread that made them.
    """
    answers: list[Answer | None] = [None] * len(requests)
    start = threading.Barrier(len(requests))

    def send(index: int) -> None:
        protocol, rows = requests[index]
        client = client_for(server, protocol)
        try:
            start.wait()
            answers[index] = client.ask(rows)
        finally:
            client.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(answer is not None for answer in answers)
    return answers  # type: ignore[return-value]


def behind_a_busy_model(server: Server, send: Callable[[], Any], seconds: float = 1.0) -> Any:
    """Keep the model busy for ``seconds`` while ``send()`` queues requests behind it, so
    that they all wait in the same batching window."""
    busy = threading.Thread(target=lambda: HttpClient(server, "sagemaker").ask([[0, seconds]]))
    busy.start()
    time.sleep(0.1)
    try:
        return send()
    finally:
        busy.join(30)


def row(request_id: int, width: int = 4, seconds: float = 0.0) -> list[float]:
    return [float(request_id), seconds] + [0.0] * (width - 2)


def test_requests_over_every_protocol_share_predict_calls_and_get_their_own_rows(server):
    before = len(batches(server))
    clients_per_protocol, requests_per_client = 3, 4
    plan = [(protocol, 1000 * p + 10 * c) for p, protocol in enumerate(PROTOCOLS)
            for c in range(clients_per_protocol)]  # fmt: skip
    answers: dict[int, Answer] = {}
    lock = threading.Lock()

    def client(protocol: str, first_id: int, start: threading.Barrier) -> None:
        sender = client_for(server, protocol)
        try:
            start.wait()
            for k in range(requests_per_client):
                answer = sender.ask([row(first_id + k, seconds=0.005)])
                with lock:
                    answers[first_id + k] = answer
        finally:
            sender.close()

    start = threading.Barrier(len(plan))
    threads = [threading.Thread(target=client, args=(p, i, start)) for p, i in plan]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(answers) == len(plan) * requests_per_client
    protocols_of_call: dict[float, set[str]] = defaultdict(set)
    batched: dict[str, int] = defaultdict(int)
    for request_id, answer in answers.items():
        assert answer.rows is not None, answer.error
        ((got_id, rows, width, call),) = answer.rows
        assert (got_id, width) == (request_id, 4)  # exactly its own row back
        protocol = PROTOCOLS[request_id // 1000]
        protocols_of_call[call].add(protocol)
        batched[protocol] = max(batched[protocol], int(rows))
    assert all(batched[p] > 1 for p in PROTOCOLS), dict(batched)  # every protocol batched
    assert max(len(found) for found in protocols_of_call.values()) >= 3  # across protocols
    sizes = batches(server)[before:]
    assert sum(sizes) == len(answers)
    assert len(sizes) < len(answers)
    assert max(sizes) <= MAX_BATCH_SIZE


def test_a_failing_request_fails_alone_and_its_window_peers_succeed(server):
    before = len(batches(server))
    good = [(protocol, [row(5000 + i)]) for i, protocol in enumerate(PROTOCOLS)]
    requests = [*good, ("oip_v2", [row(-1)])]
    answers = behind_a_busy_model(server, lambda: send_together(server, requests))
    *fine, bad = answers
    for (_, rows), answer in zip(good, fine, strict=True):
        assert answer.rows is not None, answer.error
        assert answer.rows[0][0] == rows[0][0]
    assert bad.rows is None
    assert bad.error.startswith("500") and "predict raised ValueError: a negative id" in bad.error
    sizes = batches(server)[before:]
    assert sizes[:2] == [1, len(requests)]  # the busy call, then all eight joined: it failed
    assert sizes[2:] == [1] * len(requests)  # so each ran on its own


def test_no_predict_call_exceeds_the_limit_and_a_larger_request_runs_alone(server):
    before = len(batches(server))
    singles = [(PROTOCOLS[i % len(PROTOCOLS)], [row(6000 + i)]) for i in range(20)]
    large = ("kserve_v1", [row(7000 + i) for i in range(40)])
    answers = behind_a_busy_model(server, lambda: send_together(server, [*singles, large]))
    for (_, rows), answer in zip([*singles, large], answers, strict=True):
        assert answer.rows is not None, answer.error
        assert [a[0] for a in answer.rows] == [r[0] for r in rows]
    assert {a[1] for a in answers[-1].rows} == {40.0}  # alone
    assert max(a.rows[0][1] for a in answers[:-1]) <= MAX_BATCH_SIZE
    sizes = batches(server)[before + 1 :]  # after the busy call
    assert sorted(sizes)[-2:] == [MAX_BATCH_SIZE, 40]  # full batches, none larger
    assert sum(sizes) == 60


def test_requests_of_different_shapes_are_batched_only_with_their_like(server):
    before = len(batches(server))
    widths = [4, 3, 4, 5, 3, 4, 5, 4]
    requests = [(PROTOCOLS[i % 4], [row(8000 + i, width)]) for i, width in enumerate(widths)]
    answers = behind_a_busy_model(server, lambda: send_together(server, requests))
    for (_, rows), width, answer in zip(requests, widths, answers, strict=True):
        assert answer.rows is not None, answer.error
        ((got_id, rows_in_call, got_width, _),) = answer.rows
        assert (got_id, got_width) == (rows[0][0], width)
        assert rows_in_call == widths.count(width)
    assert sorted(batches(server)[before + 1 :]) == [2, 2, 4]


def test_batch_sizes_and_queue_waits_are_on_the_metrics_page(server):
    sizes = batches(server)
    text = server.client.get("/metrics").text
    label = f'{{model="{MODEL}"}}'
    assert f"tiffin_batch_size_count{label} {float(len(sizes))}" in text
    assert f"tiffin_batch_size_sum{label} {float(sum(sizes))}" in text
    assert f'tiffin_batch_size_bucket{{le="16.0",model="{MODEL}"}}' in text
    assert f"tiffin_batch_queue_seconds_count{label}" in text


def test_the_timeout_applies_to_each_request(server):
    slow_answer: list[Answer] = []
    started = time.monotonic()
    slow = threading.Thread(
        target=lambda: slow_answer.append(HttpClient(server, "simple").ask([row(1, seconds=30)]))
    )
    slow.start()
    time.sleep(0.5)  # joins the next batch, runs once the slow call is cut off
    later = HttpClient(server, "oip_v2").ask([row(2)])
    slow.join(30)
    assert slow_answer[0].error.startswith("504"), slow_answer[0].error
    assert time.monotonic() - started < TIMEOUT + 2
    assert later.rows is not None and later.rows[0][0] == 2, later.error
