"""``tiffin metrics-sink``: store the metrics of tiffin's Kafka events in PostgreSQL."""

from __future__ import annotations

import logging
import sys

import click

from tiffin.cli.errors import handle_errors

EPILOG = (
    "Stops after the current batch on SIGTERM or Ctrl-C (exit 0). A database or broker "
    "that cannot be reached is retried with backoff. Exit status 10: a fatal setting "
    "(malformed URL, refused credentials, unknown database, missing extra)."
)


class _StderrHandler(logging.Handler):
    """Log records as lines on whatever ``sys.stderr`` is now: under a live progress line
    that is rich's proxy, which prints them above the line."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(self.format(record) + "\n")
        sys.stderr.flush()


def _log_to_stderr() -> None:
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s metrics-sink: %(message)s", "%H:%M:%S"))
    for name in ("tiffin.sink", "tiffin.events"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, setting = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r} is not KEY=VALUE", param_hint="--kafka-config")
        pairs[key.strip()] = setting.strip()
    return pairs


@click.command("metrics-sink", epilog=EPILOG)
@click.option("--kafka-broker", required=True, envvar="KAFKA_BROKER", metavar="HOST:PORT[,...]",
              help="Kafka bootstrap servers [env: KAFKA_BROKER].")  # fmt: skip
@click.option("--database", required=True, envvar="TIFFIN_SINK_DATABASE",
              metavar="postgresql://...",
              help="Where rows go [env: TIFFIN_SINK_DATABASE].")  # fmt: skip
@click.option("--topic", "topics", multiple=True, metavar="NAME",
              help="A topic to read (repeatable) [default: tiffin-metrics, tiffin-predictions, "
              "tiffin-feedback].")  # fmt: skip
@click.option("--group", default="tiffin-metrics-sink", show_default=True,
              help="Kafka consumer group: its committed offsets mark what is stored.")  # fmt: skip
@click.option("--table", default="tiffin_metrics", show_default=True,
              help="Table (or schema.table), created if missing.")  # fmt: skip
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True,
              help="Most messages stored per transaction.")  # fmt: skip
@click.option("--kafka-config", multiple=True, metavar="KEY=VALUE",
              help="A librdkafka consumer setting (repeatable), e.g. "
              "security.protocol=SSL.")  # fmt: skip
@click.option("--progress/--no-progress", default=None,
              help="A live status line [default: on a terminal; else a log line per "
              "interval].")  # fmt: skip
@click.option("--report-every", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              metavar="SECONDS", help="Seconds between status lines when not live.")  # fmt: skip
@handle_errors
def metrics_sink(kafka_broker: str, database: str, topics: tuple[str, ...], group: str,
                 table: str, batch_size: int, kafka_config: tuple[str, ...],
                 progress: bool | None, report_every: float) -> None:  # fmt: skip
    """Store the metrics of tiffin's events (Kafka) as rows of a PostgreSQL table.

    One row per metric: time, model, version, name, type, value, labels. A TimescaleDB
    hypertable when the extension is available. Safe to kill and restart: nothing is
    lost or stored twice.
    """
    from tiffin.sink import SinkSettings, make_progress, run_sink

    _log_to_stderr()
    extra = {"topics": topics} if topics else {}
    settings = SinkSettings(kafka_broker, database, group=group, table=table,
                            batch_size=batch_size, kafka_config=_pairs(kafka_config),
                            report_every=report_every, **extra)  # fmt: skip
    summary = run_sink(settings, progress=make_progress(progress))
    click.echo(summary.line(), err=True)
