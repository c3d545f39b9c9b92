"""The model thread runner: arrival order, a free event loop, timeouts and a wedged worker."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from tiffin.errors import ModelNotReady, PredictionTimeout
from tiffin.inference.runners import ModelThreadRunner, make_runner
from tiffin.model.handle import ModelHandle


class Recorder:
    """A model whose predict sleeps or spins as asked and records the order of its calls."""

    def __init__(self) -> None:
        self.order: list[Any] = []
        self.threads: set[str] = set()

    def predict(self, inputs: dict[str, Any]) -> Any:
        self.threads.add(threading.current_thread().name)
        if "sleep" in inputs:
            time.sleep(inputs["sleep"])
        if "spin" in inputs:
            deadline = time.monotonic() + inputs["spin"]
            while time.monotonic() < deadline:
                pass
        self.order.append(inputs.get("id"))
        return inputs.get("id")


def handle_of(model: object) -> ModelHandle:
    return ModelHandle(lambda: model, name="recorder").load()


def serve(
    main: Callable[[ModelThreadRunner, Recorder], Any],
    timeout: float = 5.0,
    on_wedged: Callable[[], None] | None = None,
) -> Any:
    """Run ``main(runner, model)`` in a fresh event loop; close the runner afterwards."""
    model = Recorder()

    async def body() -> Any:
        runner = ModelThreadRunner(handle_of(model), timeout, on_wedged)
        try:
            return await main(runner, model)
        finally:
            runner.close()

    return asyncio.run(body())


def test_a_sync_single_threaded_model_gets_the_model_thread_runner():
    async def build() -> object:
        return make_runner(handle_of(Recorder()), timeout=1, threads=1)

    runner = asyncio.run(build())
    assert isinstance(runner, ModelThreadRunner)
    runner.close()


def test_requests_are_served_in_arrival_order_on_one_model_thread():
    async def main(runner: ModelThreadRunner, model: Recorder) -> list[Any]:
        results = await asyncio.gather(*(runner.run({"id": i, "sleep": 0.005}) for i in range(20)))
        assert model.threads == {"tiffin-model"}
        return results

    assert serve(main) == list(range(20))


def test_the_event_loop_keeps_running_while_the_model_computes():
    async def main(runner: ModelThreadRunner, model: Recorder) -> int:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        await runner.run({"spin": 0.3})
        ticker.cancel()
        return ticks

    assert serve(main) >= 5  # blocked inline, the loop would not tick at all


def test_errors_of_user_code_reach_the_request():
    class Broken:
        def predict(self, inputs: Any) -> Any:
            raise ValueError("bad feature")

    async def main() -> None:
        runner = ModelThreadRunner(handle_of(Broken()), 5.0)
        try:
            with pytest.raises(Exception, match="predict raised ValueError: bad feature"):
                await runner.run([1])
        finally:
            runner.close()

    asyncio.run(main())


def test_the_timeout_counts_from_the_start_of_each_call_not_from_queueing():
    async def main(runner: ModelThreadRunner, model: Recorder) -> list[Any]:
        return await asyncio.gather(*(runner.run({"id": i, "sleep": 0.15}) for i in range(4)))

    assert serve(main, timeout=0.5) == [0, 1, 2, 3]  # 0.6 s in all, each call 0.15 s


def test_a_hung_call_times_out_and_a_fresh_thread_serves_the_requests_behind_it():
    async def main(runner: ModelThreadRunner, model: Recorder) -> float:
        hung = asyncio.ensure_future(runner.run({"id": "hung", "sleep": 30}))
        behind = asyncio.ensure_future(runner.run({"id": "behind"}))
        started = time.monotonic()
        with pytest.raises(PredictionTimeout, match=r"did not answer within 0\.3 s"):
            await hung
        assert await behind == "behind"
        assert await runner.run({"id": "after"}) == "after"
        return time.monotonic() - started

    assert serve(main, timeout=0.3) < 5


def test_a_call_spinning_in_python_is_interrupted():
    async def main(runner: ModelThreadRunner, model: Recorder) -> None:
        stuck = runner._thread.thread
        with pytest.raises(PredictionTimeout):
            await runner.run({"spin": 60})
        stuck.join(5)
        assert not stuck.is_alive()
        assert await runner.run({"id": "after"}) == "after"

    serve(main, timeout=0.3)


def test_a_second_stuck_call_wedges_the_worker():
    wedged: list[bool] = []

    async def main(runner: ModelThreadRunner, model: Recorder) -> None:
        with pytest.raises(PredictionTimeout):
            await runner.run({"sleep": 30})
        stuck = asyncio.ensure_future(runner.run({"sleep": 30}))
        queued = asyncio.ensure_future(runner.run({"id": "queued"}))
        with pytest.raises(PredictionTimeout):
            await stuck
        with pytest.raises(ModelNotReady) as refused:
            await queued
        assert "restarting" in (refused.value.hint or "")
        with pytest.raises(ModelNotReady):
            await runner.run({"id": "later"})

    serve(main, timeout=0.3, on_wedged=lambda: wedged.append(True))
    assert wedged == [True]
