"""Preloading the model in the master before fork: when it happens, when it is refused
(one log line saying why), and what a failing load does."""

from __future__ import annotations

import threading
import time

import pytest

from servers import FIXTURES, Server, start_server
from tiffin.errors import ModelLoadError
from tiffin.model.handle import ModelHandle
from tiffin.server.preload import preload, refusal, wants_preload
from tiffin.spec import ServerSettings

SHARED = FIXTURES / "shared_weights"
SINGLE = FIXTURES / "single_file"


def handle_of(cls: type) -> ModelHandle:
    return ModelHandle(cls, name=cls.__name__.lower(), model_class=cls)


class Plain:
    def load(self) -> None:
        self.weights = [1.0] * 1000

    def predict(self, inputs):
        return inputs


class OptedOut(Plain):
    shareable = False


class AsyncLoad(Plain):
    async def load(self) -> None:  # type: ignore[override]
        self.weights = []


class StartsAThread(Plain):
    def load(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.stop.wait, name="refresher", daemon=True)
        self.thread.start()


class FailsToLoad(Plain):
    def load(self) -> None:
        raise OSError("weights.bin is missing")


@pytest.mark.parametrize(
    ("workers", "setting", "expected"),
    [(1, None, False), (2, None, True), (4, False, False), (1, True, True)],
)
def test_preload_is_on_by_default_with_several_workers(workers, setting, expected):
    assert wants_preload(ServerSettings(workers=workers, preload=setting)) is expected


def test_a_model_loads_in_this_process_and_is_marked_loaded():
    handle = handle_of(Plain)
    assert preload(handle, 4) is True
    assert handle.loaded and handle.instance.weights == [1.0] * 1000


@pytest.mark.parametrize(
    ("cls", "reason"),
    [(OptedOut, "OptedOut.shareable is False"), (AsyncLoad, "its load() is async")],
)
def test_a_model_that_cannot_be_shared_is_not_loaded(cls, reason, caplog):
    handle = handle_of(cls)
    assert refusal(handle) == reason
    with caplog.at_level("INFO", logger="tiffin.server"):
        assert preload(handle, 3) is False
    assert handle.instance is None and not handle.loaded
    assert caplog.messages == [
        f"model {handle.name!r} is not shared by the workers ({reason}): each of the 3 "
        "workers loads its own copy"
    ]


class OnTheCpu(Plain):
    shareable = True


def test_with_a_gpu_in_sight_only_a_model_declared_shareable_is_preloaded(monkeypatch):
    monkeypatch.setattr("tiffin.server.preload._gpu_visible", lambda: True)
    assert (
        refusal(handle_of(Plain)) == "torch may use the GPU, and a CUDA context cannot cross fork"
    )
    assert refusal(handle_of(OnTheCpu)) is None


def test_a_load_that_starts_threads_is_dropped(caplog):
    handle = handle_of(StartsAThread)
    with caplog.at_level("INFO", logger="tiffin.server"):
        assert preload(handle, 2) is False
    assert handle.instance is None and not handle.loaded and handle.stages == ()
    assert "its load started threads: refresher" in caplog.text


def test_a_failing_load_raises_the_load_error():
    with pytest.raises(ModelLoadError, match=r"weights\.bin is missing"):
        preload(handle_of(FailsToLoad), 2)


def pids_seen(server: Server, tries: int = 60) -> dict[int, int]:
    """{worker pid: pid its model loaded in}, from new connections."""
    seen: dict[int, int] = {}
    for _ in range(tries):
        response = server.client.post("/invocations", json=[1], headers={"Connection": "close"})
        if response.status_code == 200:
            seen[response.json()["pid"]] = response.json()["loaded_in"]
    return seen


def test_with_two_workers_the_model_loads_once_in_the_master(tmp_path):
    server = start_server(SHARED / "shareable.py", tmp_path, "--workers", "2", "--no-grpc")
    try:
        server.wait_ready()
        seen = pids_seen(server)
        assert set(seen.values()) == {server.process.pid}
        assert "model 'shareable' loaded once in the master in" in server.log
        assert "shared by 2 workers" in server.log
    finally:
        server.stop()


def test_a_model_opting_out_loads_in_each_worker_and_says_so(tmp_path):
    server = start_server(SHARED / "not_shareable.py", tmp_path, "--workers", "2", "--no-grpc")
    try:
        server.wait_ready()
        time.sleep(0.5)
        seen = pids_seen(server)
        assert all(worker == loaded_in for worker, loaded_in in seen.items())
        assert server.process.pid not in seen.values()
        lines = [line for line in server.log.splitlines() if "is not shared" in line]
        assert len(lines) == 1
        assert lines[0].endswith(
            "model 'not_shareable' is not shared by the workers (NotShareable.shareable is "
            "False): each of the 2 workers loads its own copy"
        )
    finally:
        server.stop()


def test_env_turns_preload_off(tmp_path):
    env = {"TIFFIN_PRELOAD": "false"}
    server = start_server(SHARED / "shareable.py", tmp_path, "-w", "2", "--no-grpc", env=env)
    try:
        server.wait_ready()
        time.sleep(0.5)
        assert server.process.pid not in pids_seen(server).values()
        assert "loaded once in the master" not in server.log
    finally:
        server.stop()


def test_a_load_failing_in_the_master_exits_3_with_one_line(tmp_path):
    server = start_server(SINGLE / "broken_load.py", tmp_path, "--workers", "2", "--no-grpc")
    code = server.process.wait(60)
    log = server.log
    assert code == 3, log
    reason = "model 'broken_load' failed to load: FileNotFoundError: model/weights.bin is missing"
    assert len([line for line in log.splitlines() if reason in line]) == 1
    assert "error: the model failed to load" in log
    assert "Traceback" not in log
    assert "Booting worker" not in log  # no worker was started
