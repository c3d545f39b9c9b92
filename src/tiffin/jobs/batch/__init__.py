"""Batch prediction: score CSV, JSON lines and Parquet files with SageMaker batch semantics.

    from tiffin.jobs.batch import run_batch
    summary = run_batch("iris", "data/", "predictions/", workers=2, on_error="skip")

Modules, one job each: ``options`` (settings), ``sources`` (find inputs),
``readers`` (cut files into chunks), ``records`` and ``csvparse`` (chunks to
model payloads), ``predictors`` (model or execute function), ``scoring``
(mini-batches and the error policy), ``outputs`` (results to lines),
``worker`` (one chunk, anywhere), ``executors`` (where chunks run: the local pool,
Dask, Ray), ``parts`` and ``manifest`` (atomic commits and resumption), ``progress``,
``runner``.
"""

from tiffin.jobs.batch.executors import Executor, executor_for, register_executor
from tiffin.jobs.batch.messages import Chunk, ChunkResult, Failure
from tiffin.jobs.batch.options import BatchOptions
from tiffin.jobs.batch.runner import BatchSummary, run_batch
from tiffin.jobs.batch.worker import BatchJob

__all__ = [
    "BatchJob",
    "BatchOptions",
    "BatchSummary",
    "Chunk",
    "ChunkResult",
    "Executor",
    "Failure",
    "executor_for",
    "register_executor",
    "run_batch",
]
