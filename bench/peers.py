"""MLServer and BentoML, each in its own virtual environment, for bench/batching.py.

Each lives in a venv under bench/ (gitignored), created on first use with the peer's
packages plus this environment's scikit-learn, joblib and numpy versions, so that it loads
the same joblib file. Both serve the forest with their adaptive batching on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from common import BENCH_DIR, free_port
from serve import Server

MLSERVER_VENV = BENCH_DIR / ".venv-mlserver"
BENTOML_VENV = BENCH_DIR / ".venv-bentoml"
SHARED = ("scikit-learn", "joblib", "numpy")
"""Pinned to this environment's versions in every peer's venv."""


def venv_python(venv: Path, packages: list[str], module: str) -> Path:
    """The interpreter of ``venv``, created first (``packages`` and :data:`SHARED` pinned to
    this environment's versions) unless it already imports ``module``."""
    python = venv / "bin" / "python"
    check = [str(python), "-c", f"import {module}"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"creating {os.path.relpath(venv)} with {' '.join(packages)} (once) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pins = [f"{name}=={metadata.version(name)}" for name in SHARED]
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *packages, *pins],
                   check=True)  # fmt: skip
    return python


def version_in(venv: Path, distribution: str) -> str:
    """The version of ``distribution`` installed in ``venv``."""
    return subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         f"from importlib.metadata import version; print(version({distribution!r}))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def mlserver_server(model: Path, workdir: Path, cpu: str, max_batch_size: int,
                    max_batch_time: float) -> Server:  # fmt: skip
    """MLServer's scikit-learn runtime serving ``model`` (a joblib file) as ``iris``, V2 only,
    adaptive batching on (``max_batch_size``, ``max_batch_time`` in seconds), inference in
    the server process (``parallel_workers: 0``), metrics off."""
    python = venv_python(MLSERVER_VENV, ["mlserver", "mlserver-sklearn"], "mlserver_sklearn")
    repository = workdir / "mlserver"
    repository.mkdir(exist_ok=True)
    http_port = free_port()
    settings = {"host": "127.0.0.1", "http_port": http_port, "grpc_port": free_port(),
                "metrics_port": free_port(),
                "parallel_workers": 0, "metrics_endpoint": None, "debug": False}  # fmt: skip
    model_settings = {
        "name": "iris",
        "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": str(model), "version": "1"},
        "max_batch_size": max_batch_size,
        "max_batch_time": max_batch_time,
    }
    (repository / "settings.json").write_text(json.dumps(settings))
    (repository / "model-settings.json").write_text(json.dumps(model_settings))
    mlserver = str(python.parent / "mlserver")
    server = Server("mlserver", [mlserver, "start", str(repository)], cpu,
                    workdir / "mlserver.log")  # fmt: skip
    server.port = http_port
    return server


def bentoml_server(model: Path, workdir: Path, cpu: str, max_batch_size: int,
                   max_latency_ms: int) -> Server:  # fmt: skip
    """bench/bentoml_service.py's batchable ``predict`` serving ``model``, one worker."""
    python = venv_python(BENTOML_VENV, ["bentoml"], "bentoml")
    bentoml = str(python.parent / "bentoml")
    return Server(
        "bentoml",
        [bentoml, "serve", "bentoml_service:Iris", "--working-dir", str(BENCH_DIR),
         "--port", "{port}", "--host", "127.0.0.1"],
        cpu, workdir / "bentoml.log",
        BENCH_MODEL_PATH=str(model), BENCH_MAX_BATCH_SIZE=str(max_batch_size),
        BENCH_MAX_LATENCY_MS=str(max_latency_ms), BENTOML_DO_NOT_TRACK="true",
    )  # fmt: skip
