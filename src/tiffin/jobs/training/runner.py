"""Run a package's training entry under the SageMaker training contract.

Success writes ``output/success`` and exits 0. Any failure writes its reason to
``output/failure`` (unless the user's code already wrote one) and exits 1; a
SIGTERM runs the stop hooks (checkpoints) and exits 143. A model written to a
separate ``model_dir`` is published there only when training succeeded.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tiffin.errors import TiffinError
from tiffin.jobs.training.context import TrainingContext
from tiffin.jobs.training.entry import describe_entry, resolve_entry
from tiffin.jobs.training.environment import environment_variables, training_environment
from tiffin.opt_ml.config import read_config
from tiffin.opt_ml.paths import TrainingPaths
from tiffin.spec import LoadedSpec

logger = logging.getLogger("tiffin.train")
FAILURE_REASON_LIMIT = 1024
"""SageMaker shows the first 1024 characters of the failure file."""
STOPPED_EXIT_CODE = 128 + signal.SIGTERM


@dataclass(frozen=True)
class TrainingResult:
    """How a training run ended."""

    exit_code: int
    message: str
    model_dir: Path
    seconds: float


class _Stopped(BaseException):
    """Raised inside the user's code by the SIGTERM handler, after the stop hooks ran."""


def run_training(
    loaded: LoadedSpec,
    paths: TrainingPaths,
    *,
    publish_to: Path | None = None,
    job_name: str | None = None,
) -> TrainingResult:
    """Train ``loaded`` in the tree under ``paths``; publish the model to ``publish_to``."""
    started = time.monotonic()
    paths.make_output_dirs()
    for marker in (paths.failure_file, paths.success_file):
        marker.unlink(missing_ok=True)
    ctx: TrainingContext | None = None
    previous = signal.getsignal(signal.SIGTERM)
    try:
        ctx = _prepare(loaded, paths, job_name or f"tiffin-{loaded.spec.name}")
        entry = resolve_entry(loaded)
        signal.signal(signal.SIGTERM, _stop_handler(ctx))
        entry(ctx)
    except _Stopped:
        return TrainingResult(STOPPED_EXIT_CODE, "stopped by SIGTERM after running stop hooks",
                              paths.model_dir, time.monotonic() - started)  # fmt: skip
    except KeyboardInterrupt:
        if ctx is not None:
            ctx.run_stop_hooks()
        return TrainingResult(130, "interrupted; stop hooks ran", paths.model_dir,
                              time.monotonic() - started)  # fmt: skip
    except BaseException as exc:
        message = _failure_message(exc)
        _write_failure(paths, exc)
        return TrainingResult(1, message, paths.model_dir, time.monotonic() - started)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if publish_to is not None:
        publish_model(paths.model_dir, publish_to)
    paths.success_file.touch()
    final_dir = publish_to or paths.model_dir
    return TrainingResult(0, "training succeeded", final_dir, time.monotonic() - started)


def _prepare(loaded: LoadedSpec, paths: TrainingPaths, job_name: str) -> TrainingContext:
    config = read_config(paths)
    fields = training_environment(
        paths, config, model_dir=paths.model_dir, entry_point=describe_entry(loaded),
        module_dir=loaded.root, job_name=job_name,
    )  # fmt: skip
    variables = environment_variables(fields, paths)
    for key, value in loaded.spec.environment.items():
        os.environ.setdefault(key, value)
    os.environ.update(variables)
    return TrainingContext(paths, config, paths.model_dir, variables)


def _stop_handler(ctx: TrainingContext) -> Any:
    def handle(signum: int, frame: Any) -> None:
        logger.warning("SIGTERM: running %d stop hook(s) before exiting", len(ctx._stop_hooks))
        ctx.run_stop_hooks()
        raise _Stopped

    return handle


def _failure_message(exc: BaseException) -> str:
    if isinstance(exc, TiffinError):
        return exc.message + (f" (hint: {exc.hint})" if exc.hint else "")
    if isinstance(exc, SystemExit):
        return f"training exited with status {exc.code}"
    return f"{type(exc).__name__}: {exc}"


def _write_failure(paths: TrainingPaths, exc: BaseException) -> None:
    """The reason first (SageMaker shows 1024 characters), then the traceback."""
    if paths.failure_file.exists():
        return
    message = _failure_message(exc)
    if isinstance(exc, TiffinError):
        paths.failure_file.write_text(message + "\n")
        return
    details = "".join(traceback.format_exception(exc))
    paths.failure_file.write_text(f"{message}\n\n{details}")


def publish_model(staged: Path, target: Path) -> None:
    """Replace ``target`` with the contents of ``staged`` in one rename."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    shutil.copytree(staged, fresh, dirs_exist_ok=True, symlinks=True)
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
    fresh.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
