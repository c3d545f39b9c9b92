"""Weights shared across workers: a model loaded once in the master is shared copy-on-write.

Memory is the sum of PSS (``/proc/PID/smaps_rollup``, which splits each shared page among
the processes mapping it) over the serve process (gunicorn's master) and its workers.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from servers import FIXTURES, Server, start_server

MODEL = FIXTURES / "shared_weights" / "weights_model.py"
ROWS = [[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]]

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux's smaps_rollup"
)


@pytest.fixture(scope="module")
def weights_model():
    """The fixture module, importable here to write and check its weights."""
    sys.path.insert(0, str(MODEL.parent))
    try:
        import weights_model

        yield weights_model
    finally:
        sys.path.remove(str(MODEL.parent))


@pytest.fixture(scope="module")
def model_dir(weights_model, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~100 MB of weights, written now (never committed)."""
    directory = tmp_path_factory.mktemp("weights")
    weights_model.write_weights(directory)
    return directory


def children(pid: int) -> list[int]:
    """The pids of ``pid``'s child processes."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def pss_kib(pid: int) -> int:
    """The process's proportional set size, in KiB."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise AssertionError(f"no Pss line in /proc/{pid}/smaps_rollup")


def serve_and_measure(
    model_dir: Path, tmp_path: Path, workers: int, *flags: str
) -> tuple[float, dict[int, list[float]], str]:
    """Serve the model, get answers from every worker, stop; return the total PSS in MiB,
    each worker's last scores by pid, and the server's log."""
    env = {"MODEL_DIR": str(model_dir)}
    tmp_path.mkdir()
    server = start_server(MODEL, tmp_path, "--workers", str(workers), "--no-grpc", *flags, env=env)
    try:
        server.wait_ready(timeout=120)
        answers = answers_from_every_worker(server, workers)
        time.sleep(0.5)  # let every worker settle after its requests
        pids = [server.process.pid, *children(server.process.pid)]
        assert len(pids) == workers + 1, pids
        assert set(answers) == set(pids[1:])
        return sum(pss_kib(pid) for pid in pids) / 1024, answers, server.log
    finally:
        server.stop()


def answers_from_every_worker(server: Server, workers: int) -> dict[int, list[float]]:
    """Predictions on fresh connections until each worker has answered a few."""
    answers: dict[int, list[list[float]]] = {}

    def ask(_: int) -> tuple[int, list[float]] | None:
        """One prediction on a new connection; None from a worker still loading (503)."""
        with httpx.Client(base_url=server.url, timeout=30) as client:
            response = client.post("/invocations", json=ROWS)
        if response.status_code == 503:
            return None
        assert response.status_code == 200, response.text
        return response.json()["pid"], response.json()["scores"]

    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(8) as pool:
        while time.monotonic() < deadline:
            for answer in filter(None, pool.map(ask, range(32))):
                answers.setdefault(answer[0], []).append(answer[1])
            if len(answers) == workers and all(len(a) >= 3 for a in answers.values()):
                break
    assert len(answers) == workers, f"answers came from {sorted(answers)} only"
    return {pid: seen[-1] for pid, seen in answers.items()}


def test_four_workers_share_one_copy_of_the_weights(weights_model, model_dir, tmp_path):
    expected = pytest.approx(weights_model.expected(ROWS))
    one, answers, _ = serve_and_measure(model_dir, tmp_path / "one", 1)
    four, answers_four, log = serve_and_measure(model_dir, tmp_path / "four", 4)
    assert "loaded once in the master" in log and "shared by 4 workers" in log
    for scores in [*answers.values(), *answers_four.values()]:
        assert scores == expected
    assert four <= 1.5 * one, f"4 workers {four:.0f} MiB vs 1 worker {one:.0f} MiB"
    # the control: without preloading each worker holds its own copy
    apart, answers_apart, _ = serve_and_measure(model_dir, tmp_path / "apart", 4, "--no-preload")
    assert all(scores == expected for scores in answers_apart.values())
    figures = f"1 worker {one:.0f} MiB, 4 sharing {four:.0f} MiB, 4 apart {apart:.0f} MiB"
    assert apart >= 2.5 * one, figures  # ~3.2 x measured: four copies of the weights
