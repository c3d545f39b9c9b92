"""The metrics table in PostgreSQL (a TimescaleDB hypertable when the extension is there).

Rows are inserted with ``ON CONFLICT DO NOTHING`` on ``(event_id, metric_index)``, so an
event read twice (after a crash, before its offset was committed) is stored once.

A database that cannot be reached raises :class:`Unavailable` (the sink retries); a
server that refuses us (unknown role or database, bad password), a malformed URL or a
table of another shape raises :class:`~tiffin.errors.SinkError` (the sink stops).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from tiffin.errors import SinkError
from tiffin.sink.rows import MetricRow

__all__ = ["MetricsTable", "Unavailable", "require_psycopg"]

log = logging.getLogger("tiffin.sink")

REFUSED = ("authentication failed", "does not exist", "no pg_hba.conf entry",
           "permission denied", "does not support SSL", "certificate verify failed")  # fmt: skip
"""Words of a connection error that retrying will not cure."""

COLUMNS = ("time", "model", "version", "name", "type", "value", "labels", "event_type",
           "request_id", "event_id", "metric_index")  # fmt: skip

CREATE = """CREATE TABLE {table} (
    time timestamptz NOT NULL,
    model text NOT NULL,
    version text NOT NULL,
    name text NOT NULL,
    type text NOT NULL,
    value double precision NOT NULL,
    labels jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    event_type text NOT NULL,
    request_id text,
    event_id text NOT NULL,
    metric_index integer NOT NULL,
    UNIQUE ({unique})
)"""


class Unavailable(Exception):
    """The database cannot be reached now; trying again later may work."""


def require_psycopg() -> Any:
    """The ``psycopg`` module, or a one-line error naming the extra to install."""
    try:
        import psycopg
    except ImportError as exc:
        raise SinkError("the metrics sink needs psycopg, which is not installed",
                        hint="pip install 'tiffin[sink]'") from exc  # fmt: skip
    return psycopg


class MetricsTable:
    """A connection to the database and the table rows go to."""

    def __init__(self, url: str, table: str, where: str) -> None:
        self.url = url
        self.table = table
        self.where = where
        self.hypertable = False
        self._connection: Any = None

    def open(self) -> MetricsTable:
        """Connect and create the table if needed; :class:`Unavailable` if unreachable."""
        psycopg = require_psycopg()
        self.close()
        try:
            self._connection = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
            self.hypertable = self._prepare()
            return self
        except psycopg.ProgrammingError as exc:
            raise SinkError(f"cannot use database {self.where}: {_first_line(exc)}",
                            hint="check the URL and the table (--table)") from exc  # fmt: skip
        except psycopg.Error as exc:
            self.close()
            reason = _first_line(exc)
            if any(word in reason for word in REFUSED):
                raise SinkError(f"database {self.where} refused the connection: {reason}",
                                hint="check the user, password and database name in "
                                "--database") from exc  # fmt: skip
            raise Unavailable(reason) from exc

    def insert(self, rows: Sequence[MetricRow]) -> int:
        """Insert ``rows`` in one transaction; return how many were new."""
        if not rows:
            return 0
        psycopg = require_psycopg()
        from psycopg.types.json import Jsonb

        if self._connection is None:
            self.open()
        values = [tuple(Jsonb(row.labels) if column == "labels" else getattr(row, column)
                        for column in COLUMNS) for row in rows]  # fmt: skip
        try:
            with self._connection.transaction(), self._connection.cursor() as cursor:
                cursor.executemany(self._insert_sql(), values)
                return int(cursor.rowcount)
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self.close()
            raise Unavailable(_first_line(exc)) from exc
        except psycopg.Error as exc:
            raise SinkError(f"cannot write to table {self.table} of {self.where}: "
                            f"{_first_line(exc)}",
                            hint="the table exists with other columns: drop it or pass "
                            "another --table") from exc  # fmt: skip

    def close(self) -> None:
        """Close the connection, if any."""
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None

    def _insert_sql(self) -> Any:
        from psycopg import sql

        return sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING").format(
            self._identifier(),
            sql.SQL(", ").join(sql.Identifier(column) for column in COLUMNS),
            sql.SQL(", ").join(sql.Placeholder() * len(COLUMNS)),
        )

    def _identifier(self) -> Any:
        from psycopg import sql

        return sql.Identifier(*self.table.split("."))

    def _prepare(self) -> bool:
        """Create the table (a hypertable if TimescaleDB is there); True if a hypertable."""
        connection = self._connection
        quoted = self._identifier().as_string(connection)
        exists = connection.execute("SELECT to_regclass(%s)", (quoted,)).fetchone()[0]
        timescale = _timescale(connection)
        if exists:
            return timescale and _is_hypertable(connection, self.table)
        self._create(timescale)
        return timescale

    def _create(self, timescale: bool) -> None:
        from psycopg import sql

        unique = "event_id, metric_index, time" if timescale else "event_id, metric_index"
        create = sql.SQL(CREATE).format(table=self._identifier(), unique=sql.SQL(unique))
        index = sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (time DESC)").format(
            sql.Identifier(f"{self.table.split('.')[-1]}_time_idx"), self._identifier()
        )
        with self._connection.transaction():
            self._connection.execute(create)
            if timescale:
                quoted = self._identifier().as_string(self._connection)
                self._connection.execute("SELECT create_hypertable(%s, 'time')", (quoted,))
            else:
                self._connection.execute(index)
        kind = "a TimescaleDB hypertable" if timescale else "a plain table (no TimescaleDB)"
        log.info("created table %s in %s as %s", self.table, self.where, kind)


def _timescale(connection: Any) -> bool:
    """Whether TimescaleDB is installed in the database, or can be (then it is)."""
    query = "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'"
    if connection.execute(query).fetchone():
        return True
    query = "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
    if not connection.execute(query).fetchone():
        return False
    try:
        with connection.transaction():
            connection.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    except Exception as exc:
        log.info("TimescaleDB is available but cannot be created (%s); a plain table is used",
                 _first_line(exc))  # fmt: skip
        return False
    return True


def _is_hypertable(connection: Any, table: str) -> bool:
    name = table.split(".")[-1]
    query = "SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = %s"
    return connection.execute(query, (name,)).fetchone() is not None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
