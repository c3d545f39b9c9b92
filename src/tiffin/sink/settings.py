"""The metrics sink's settings, checked before anything connects."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tiffin.errors import SinkError
from tiffin.events import Topics, parse_brokers, validate_topic

__all__ = ["SinkSettings", "describe_database"]

TABLE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]{0,62}(\.[a-zA-Z_][a-zA-Z0-9_]{0,62})?")
SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class SinkSettings:
    """Where the sink reads and writes, and how.

    ``brokers`` is ``host:port[,host:port]``; ``database`` a ``postgresql://`` URL;
    ``topics`` the topics read (by default the three tiffin topics); ``group`` the
    Kafka consumer group whose committed offsets say what was stored; ``table`` the
    table (``name`` or ``schema.name``) rows go to; ``batch_size`` the most messages
    written in one transaction; ``kafka_config`` librdkafka settings that override the
    sink's; ``report_every`` the seconds between progress lines off a terminal.
    """

    brokers: str
    database: str
    topics: tuple[str, ...] = Topics().all()
    group: str = "tiffin-metrics-sink"
    table: str = "tiffin_metrics"
    batch_size: int = 500
    kafka_config: Mapping[str, Any] = field(default_factory=dict)
    report_every: float = 10.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "brokers", parse_brokers(self.brokers))
        object.__setattr__(self, "topics", tuple(validate_topic(t) for t in self.topics))
        if not self.topics:
            raise SinkError("no topic to read", hint="pass --topic NAME, or leave the default")
        if not self.database.startswith(SCHEMES):
            raise SinkError(
                f"the database must be a postgresql:// URL, got {_redacted(self.database)!r}",
                hint="e.g. postgresql://user:password@localhost:5432/metrics",
            )
        if not TABLE.fullmatch(self.table):
            raise SinkError(f"table name {self.table!r} is not a plain SQL name",
                            hint="letters, digits and _, optionally schema.table")  # fmt: skip
        if not self.group:
            raise SinkError("the consumer group name is empty")
        if self.batch_size < 1:
            raise SinkError(f"the batch size must be at least 1, not {self.batch_size}")

    @property
    def where(self) -> str:
        """The database as ``host:port/name``, without credentials, for messages."""
        return describe_database(self.database)


def describe_database(url: str) -> str:
    """``postgresql://u:secret@db:5432/metrics`` -> ``db:5432/metrics``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return _redacted(url)
    return f"{host}{port}{parts.path or '/'}"


def _redacted(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
