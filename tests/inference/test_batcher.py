"""The batching runner in-process: requests joined into one predict, split back, limits,
compatibility groups, isolated failures and per-request timeouts."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tiffin.errors import ContractError, PredictionFailed, PredictionTimeout
from tiffin.inference.batching import BatchingRunner, BatchOptions, with_batching
from tiffin.inference.runners import ModelThreadRunner, make_runner
from tiffin.metrics import Result, gauge
from tiffin.model.handle import ModelHandle, Stage


class Doubler:
    """Doubles every row; records the rows of each predict call. A NaN fails the call; a
    row whose first value is negative sleeps that many seconds (negated)."""

    batching = True

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.payloads: list[Any] = []

    def predict(self, rows: Any) -> Any:
        self.calls.append(len(rows))
        self.payloads.append(rows)
        array = np.asarray(rows, dtype=float)
        if np.isnan(array).any():
            raise ValueError("NaN in the features")
        pause = -float(array.reshape(len(array), -1)[:, 0].min())
        if pause > 0:
            time.sleep(pause)
        return array * 2 if isinstance(rows, np.ndarray) else (array * 2).tolist()


class Observer:
    """Records what the runner observes."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.waits: list[float] = []

    def batch(self, rows: int) -> None:
        self.sizes.append(rows)

    def waited(self, seconds: float) -> None:
        self.waits.append(seconds)


def serve(
    model: Any,
    main: Callable[[Any], Awaitable[Any]],
    *,
    max_batch_size: int = 8,
    max_latency: float = 0.05,
    timeout: float = 5.0,
    threads: int = 1,
    accepts: bool = False,
    observer: Observer | None = None,
) -> Any:
    """Run ``main(runner)`` against ``model`` behind a batching runner in a fresh loop."""
    handle = ModelHandle(lambda: model, name="m").load()

    async def body() -> Any:
        inner = make_runner(handle, timeout=timeout, threads=threads)
        options = BatchOptions(max_batch_size, max_latency, model_accepts=accepts)
        runner = with_batching(inner, handle, options, timeout=timeout, threads=threads,
                               observer=observer)  # fmt: skip
        try:
            return await main(runner)
        finally:
            runner.close()

    return asyncio.run(body())


def rows(*values: float, width: int = 2) -> np.ndarray:
    return np.array([[v] * width for v in values], dtype=float)


def test_concurrent_requests_share_one_predict_and_get_their_own_rows_back():
    model, observer = Doubler(), Observer()

    async def main(runner: Any) -> list[Any]:
        assert isinstance(runner, BatchingRunner)
        return await asyncio.gather(*(runner.run(rows(i, i + 0.5)) for i in range(6)))

    answers = serve(model, main, observer=observer, max_batch_size=16)
    for i, answer in enumerate(answers):
        np.testing.assert_array_equal(answer, rows(i, i + 0.5) * 2)
    assert model.calls == [12]
    assert observer.sizes == [12]
    assert len(observer.waits) == 6 and max(observer.waits) < 1


def test_lists_of_rows_are_joined_as_lists():
    model = Doubler()

    async def main(runner: Any) -> list[Any]:
        return await asyncio.gather(*(runner.run([[i, i]]) for i in range(4)))

    assert serve(model, main) == [[[2.0 * i, 2.0 * i]] for i in range(4)]
    assert model.calls == [4] and isinstance(model.payloads[0], list)


def test_no_predict_call_exceeds_the_limit_and_a_larger_request_runs_alone():
    model = Doubler()

    async def main(runner: Any) -> list[Any]:
        small = [runner.run(rows(i)) for i in range(9)]
        return await asyncio.gather(*small, runner.run(rows(*range(6))))

    answers = serve(model, main, max_batch_size=4)
    np.testing.assert_array_equal(answers[-1], rows(*range(6)) * 2)
    assert max(model.calls) == 6 and model.calls.count(6) == 1
    assert all(size <= 4 for size in model.calls if size != 6)
    assert sum(model.calls) == 15


def test_payloads_of_different_shapes_dtypes_and_types_are_never_mixed():
    model = Doubler()
    payloads = [rows(1), rows(2, width=3), rows(3), np.array([[4, 4]]), [[5, 5]], rows(6, width=3),
                [[7, 7]], np.array([[8, 8]])]  # fmt: skip

    async def main(runner: Any) -> list[Any]:
        return await asyncio.gather(*(runner.run(p) for p in payloads))

    answers = serve(model, main)
    for payload, answer in zip(payloads, answers, strict=True):
        expected = np.asarray(payload, dtype=float) * 2
        np.testing.assert_array_equal(np.asarray(answer), expected)
        assert isinstance(answer, list) == isinstance(payload, list)
    kinds = sorted(_kind(p) for p in model.payloads)
    assert kinds == sorted(["float64 (2,)", "float64 (3,)", "int64 (2,)", "list 2"])
    assert sorted(model.calls) == [2, 2, 2, 2]


def _kind(payload: Any) -> str:
    if isinstance(payload, list):
        return f"list {len(payload[0])}"
    return f"{payload.dtype} {payload.shape[1:]}"


def test_a_bad_request_fails_alone_and_its_window_peers_succeed():
    model = Doubler()

    async def main(runner: Any) -> list[Any]:
        payloads = [rows(1), rows(float("nan")), rows(3)]
        return await asyncio.gather(*(runner.run(p) for p in payloads), return_exceptions=True)

    good, bad, other = serve(model, main)
    np.testing.assert_array_equal(good, rows(1) * 2)
    np.testing.assert_array_equal(other, rows(3) * 2)
    assert isinstance(bad, PredictionFailed) and "NaN in the features" in str(bad)
    assert model.calls == [3, 1, 1, 1]  # the joined call failed; each ran on its own


class Validating(Doubler):
    """Refuses rows of the wrong width in preprocess, before any batch is joined."""

    def preprocess(self, payload: Any) -> np.ndarray:
        array = np.asarray(payload, dtype=float)
        if array.ndim != 2 or array.shape[1] != 2:
            raise ValueError(f"expected rows of 2 features, got shape {array.shape}")
        return array

    def postprocess(self, result: np.ndarray) -> list[float]:
        return result[:, 0].tolist()


def test_preprocess_and_postprocess_run_per_request_around_one_predict():
    model = Validating()

    async def main(runner: Any) -> list[Any]:
        payloads = [[[1, 1]], rows(2), [[3, 3, 3]], [[4.0, 4.0], [5.0, 5.0]]]
        return await asyncio.gather(*(runner.run(p) for p in payloads), return_exceptions=True)

    one, two, bad, four = serve(model, main)
    assert (one, two, four) == ([2.0], [4.0], [8.0, 10.0])
    assert isinstance(bad, PredictionFailed) and bad.stage == "preprocess"
    assert model.calls == [4]  # lists and arrays joined once preprocess made them arrays


def test_a_request_that_waited_past_its_timeout_answers_504_and_is_never_predicted():
    model = Doubler()
    busy = Stage("POST /busy (Doubler.busy)", lambda seconds: time.sleep(seconds), False)

    async def main(runner: Any) -> list[Any]:
        waiting = asyncio.ensure_future(runner.run(rows(7)))  # waits 0.2 s for company
        await asyncio.sleep(0.05)
        hold = asyncio.ensure_future(runner.run(0.45, (busy,)))  # the model, 0.05 to 0.5 s
        await asyncio.sleep(0.25)
        after = asyncio.ensure_future(runner.run(rows(8)))  # due at 0.7 s
        return await asyncio.gather(waiting, hold, after, return_exceptions=True)

    waiting, _, after = serve(model, main, timeout=0.4, max_latency=0.2)
    assert isinstance(waiting, PredictionTimeout)  # due at 0.4 s, the model free at 0.5 s
    np.testing.assert_array_equal(after, rows(8) * 2)
    assert model.calls == [1]  # only the later request reached predict


def test_a_request_timing_out_while_its_batch_runs_leaves_the_others_to_finish():
    model = Doubler()

    async def main(runner: Any) -> list[Any]:
        blocker = asyncio.ensure_future(runner.run(rows(-0.2)))  # runs 0.2 s
        await asyncio.sleep(0.01)
        early = asyncio.ensure_future(runner.run(rows(1)))  # due at 0.41 s
        await asyncio.sleep(0.14)
        fresh = asyncio.ensure_future(runner.run(rows(-0.3)))  # due at 0.55 s
        return await asyncio.gather(blocker, early, fresh, return_exceptions=True)

    blocker, early, fresh = serve(model, main, timeout=0.4, max_latency=0)
    np.testing.assert_array_equal(blocker, rows(-0.2) * 2)
    assert isinstance(early, PredictionTimeout)  # its batch ran 0.2 s to 0.5 s
    np.testing.assert_array_equal(fresh, rows(-0.3) * 2)
    assert model.calls == [1, 2]


def test_a_lone_request_waits_at_most_max_latency_for_company():
    model = Doubler()

    async def main(runner: Any) -> float:
        started = time.monotonic()
        await runner.run(rows(1))
        return time.monotonic() - started

    assert 0.1 <= serve(model, main, max_latency=0.1) < 0.5


def test_a_full_batch_does_not_wait_for_max_latency():
    model = Doubler()

    async def main(runner: Any) -> float:
        started = time.monotonic()
        await asyncio.gather(*(runner.run(rows(i)) for i in range(4)))
        return time.monotonic() - started

    assert serve(model, main, max_batch_size=4, max_latency=5) < 1
    assert model.calls == [4]


def test_the_model_thread_serves_batches_while_the_loop_queues_the_next():
    model = Doubler()

    async def main(runner: Any) -> None:
        first = asyncio.ensure_future(runner.run(rows(-0.2)))  # the next requests pile up
        await asyncio.sleep(0.02)
        await asyncio.gather(first, *(runner.run(rows(i)) for i in range(20)))

    serve(model, main, max_batch_size=64, max_latency=0)
    assert model.calls == [1, 20]


def test_a_thread_pool_runs_several_batches_at_once():
    active: list[int] = []
    lock = threading.Lock()

    class Counting(Doubler):
        running = 0

        def predict(self, rows: Any) -> Any:
            with lock:
                Counting.running += 1
                active.append(Counting.running)
            time.sleep(0.1)
            with lock:
                Counting.running -= 1
            return super().predict(rows)

    async def main(runner: Any) -> None:
        await asyncio.gather(*(runner.run(rows(i)) for i in range(8)))

    serve(Counting(), main, max_batch_size=2, max_latency=0, threads=2)
    assert max(active) == 2


def test_dicts_of_arrays_are_joined_input_by_input():
    seen: list[Any] = []

    class TwoInputs:
        batching = True

        def predict(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            seen.append({name: value.shape for name, value in inputs.items()})
            return {"sum": inputs["a"].sum(axis=1), "b": inputs["b"]}

    async def main(runner: Any) -> list[Any]:
        payloads = [{"a": rows(i), "b": np.array([f"r{i}"], dtype=object)} for i in range(3)]
        return await asyncio.gather(*(runner.run(p) for p in payloads))

    answers = serve(TwoInputs(), main)
    assert [a["sum"].tolist() for a in answers] == [[0.0], [2.0], [4.0]]
    assert [a["b"].tolist() for a in answers] == [["r0"], ["r1"], ["r2"]]
    assert seen == [{"a": (3, 2), "b": (3,)}]


def test_dataframes_are_joined_and_split_with_fresh_indexes():
    seen: list[int] = []

    class Frames:
        batching = True

        def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
            seen.append(len(frame))
            return frame.assign(total=frame["x"] + frame["y"])

    async def main(runner: Any) -> list[Any]:
        frames = [pd.DataFrame({"x": [i, i], "y": [1, 2]}) for i in range(3)]
        other = pd.DataFrame({"x": [1], "z": [1]})  # other columns: its own batch
        return await asyncio.gather(*(runner.run(f) for f in [*frames, other]),
                                    return_exceptions=True)  # fmt: skip

    *answers, other = serve(Frames(), main)
    assert [a["total"].tolist() for a in answers] == [[1, 2], [2, 3], [3, 4]]
    assert all(a.index.tolist() == [0, 1] for a in answers)
    assert isinstance(other, PredictionFailed)  # no column y
    assert sorted(seen) == [1, 6]


def test_a_result_that_cannot_be_split_runs_each_request_on_its_own(caplog):
    class Counting:
        batching = True
        calls = 0

        def predict(self, rows: Any) -> int:
            Counting.calls += 1
            return len(rows)

    async def main(runner: Any) -> list[Any]:
        return await asyncio.gather(*(runner.run([[i], [i]]) for i in range(3)))

    assert serve(Counting(), main) == [2, 2, 2]
    assert Counting.calls == 4
    assert "predict returned no rows (int) for 6 input rows" in caplog.text


def test_the_models_own_hooks_join_and_split():
    class Texts:
        def __init__(self) -> None:
            self.batches: list[Any] = []

        def concat_inputs(self, payloads: list[dict[str, str]]) -> list[str]:
            return [p["text"] for p in payloads]

        def split_outputs(self, result: list[int], sizes: list[int]) -> list[dict[str, int]]:
            assert sizes == [1] * len(result)
            return [{"length": n} for n in result]

        def predict(self, texts: Any) -> Any:
            self.batches.append(texts)
            return [len(t) for t in texts] if isinstance(texts, list) else {"length": -1}

    model = Texts()

    async def main(runner: Any) -> list[Any]:
        return await asyncio.gather(*(runner.run({"text": "x" * i}) for i in range(1, 4)))

    assert serve(model, main) == [{"length": 1}, {"length": 2}, {"length": 3}]
    assert model.batches == [["x", "xx", "xxx"]]


def test_reported_metrics_are_recorded_once_per_batch():
    class Reporting:
        batching = True

        def predict(self, rows: np.ndarray) -> Result:
            return Result(rows[:, 0], [gauge("rows", len(rows))], topics=("t",))

    async def main(runner: Any) -> list[Any]:
        return await asyncio.gather(*(runner.run(rows(i)) for i in range(3)))

    answers = serve(Reporting(), main)
    assert [a.output.tolist() for a in answers] == [[0.0], [1.0], [2.0]]
    assert [len(a.metrics) for a in answers] == [1, 0, 0]
    assert all(a.topics == ("t",) for a in answers)


def test_models_taking_feature_names_are_batched_by_names():
    calls: list[Any] = []

    class Named:
        batching = True

        def predict(self, rows: list[Any], names: list[str]) -> list[str]:
            calls.append((len(rows), tuple(names)))
            return [f"{names[0]}={row[0]}" for row in rows]

    handle = ModelHandle(lambda: Named(), name="m").load()

    async def main(runner: Any) -> list[Any]:
        asks = [([[1]], ["a"]), ([[2]], ["b"]), ([[3]], ["a"])]
        return await asyncio.gather(*(runner.run(r, handle.stages_with_names(n))
                                      for r, n in asks))  # fmt: skip

    async def body() -> Any:
        inner = make_runner(handle, timeout=5, threads=1)
        runner = with_batching(inner, handle, BatchOptions(8, 0.05), timeout=5)
        try:
            return await main(runner)
        finally:
            runner.close()

    assert asyncio.run(body()) == [["a=1"], ["b=2"], ["a=3"]]
    assert sorted(calls) == [(1, ("b",)), (2, ("a",))]


def test_feedback_endpoints_and_unbatchable_payloads_bypass_the_queue():
    class Mixed(Doubler):
        def predict(self, rows: Any) -> Any:
            if isinstance(rows, dict):
                return {"echo": rows["v"]}
            return super().predict(rows)

    model = Mixed()

    async def main(runner: Any) -> list[Any]:
        endpoint = Stage("GET /stats (Mixed.stats)", lambda args: {"calls": model.calls}, False)
        return [await runner.run({"v": 1}), await runner.run({}, (endpoint,))]

    assert serve(model, main) == [{"echo": 1}, {"calls": []}]


def test_batching_needs_the_models_consent_and_a_limit_above_one(caplog):
    class Plain:
        def predict(self, rows: Any) -> Any:
            return rows

    async def build(model: Any, options: BatchOptions) -> Any:
        handle = ModelHandle(lambda: model, name="m").load()
        runner = with_batching(make_runner(handle, timeout=1, threads=1), handle, options,
                               timeout=1)  # fmt: skip
        runner.close()
        return runner

    assert isinstance(asyncio.run(build(Plain(), BatchOptions(8))), ModelThreadRunner)
    assert "does not accept batches" in caplog.text
    assert isinstance(asyncio.run(build(Doubler(), BatchOptions(1))), ModelThreadRunner)
    spec_says = BatchOptions(8, model_accepts=True)
    assert isinstance(asyncio.run(build(Plain(), spec_says)), BatchingRunner)


def test_async_models_and_half_hooks_are_refused_at_load():
    class Async:
        batching = True

        async def predict(self, rows: Any) -> Any:
            return rows

    class HalfHooks:
        def concat_inputs(self, payloads: list[Any]) -> Any:
            return payloads

        def predict(self, rows: Any) -> Any:
            return rows

    class BadHook(HalfHooks):
        def split_outputs(self, result: Any) -> Any:
            return result

    async def build(model: Any) -> None:
        handle = ModelHandle(lambda: model, name="m").load()
        with_batching(make_runner(handle, timeout=1, threads=1), handle, BatchOptions(8),
                      timeout=1)  # fmt: skip

    with pytest.raises(ContractError, match=r"Async\.predict.* is async"):
        asyncio.run(build(Async()))
    with pytest.raises(ContractError, match="defines concat_inputs but not split_outputs"):
        asyncio.run(build(HalfHooks()))
    with pytest.raises(ContractError, match=r"BadHook\.split_outputs.* must take 2 arguments"):
        asyncio.run(build(BadHook()))
