"""The metrics sink: model metrics from Kafka events into a PostgreSQL (TimescaleDB) table.

``tiffin metrics-sink --kafka-broker HOST:PORT --database postgresql://...`` runs
:func:`run_sink`; see docs/feedback.md. Needs ``tiffin[sink]`` (psycopg and
confluent-kafka).
"""

from __future__ import annotations

from tiffin.sink.progress import SinkProgress, SinkSummary, make_progress
from tiffin.sink.rows import MalformedEvent, MetricRow, rows_of
from tiffin.sink.runner import run_sink
from tiffin.sink.settings import SinkSettings

__all__ = [
    "MalformedEvent",
    "MetricRow",
    "SinkProgress",
    "SinkSettings",
    "SinkSummary",
    "make_progress",
    "rows_of",
    "run_sink",
]
