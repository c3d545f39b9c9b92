"""Kafka topic names: the legal ones, and the default topic of each kind of event."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tiffin.errors import InvalidTopic

__all__ = ["MAX_TOPIC_LENGTH", "Topics", "validate_topic"]

MAX_TOPIC_LENGTH = 249
LEGAL = re.compile(r"[a-zA-Z0-9._-]+")


def validate_topic(name: object) -> str:
    """``name`` if Kafka accepts it as a topic name, else raise :class:`InvalidTopic`.

    Kafka's rule: 1 to 249 characters among ``a-z A-Z 0-9 . _ -``, and not ``.`` or ``..``.
    """
    if not isinstance(name, str):
        raise InvalidTopic(name, f"a topic name is a string, not {type(name).__name__}")
    if not name:
        raise InvalidTopic(name, "it is empty")
    if len(name) > MAX_TOPIC_LENGTH:
        raise InvalidTopic(name, f"it is {len(name)} characters long, the limit is "
                                 f"{MAX_TOPIC_LENGTH}")  # fmt: skip
    if name in (".", ".."):
        raise InvalidTopic(name, "'.' and '..' are not allowed")
    if not LEGAL.fullmatch(name):
        bad = sorted({char for char in name if not LEGAL.fullmatch(char)})
        raise InvalidTopic(name, f"it holds {''.join(bad)!r}; only a-z A-Z 0-9 . _ - are legal")
    return name


@dataclass(frozen=True)
class Topics:
    """The topic each kind of event goes to when the model names no other."""

    predictions: str = "tiffin-predictions"
    feedback: str = "tiffin-feedback"
    metrics: str = "tiffin-metrics"

    def __post_init__(self) -> None:
        for name in (self.predictions, self.feedback, self.metrics):
            validate_topic(name)

    def all(self) -> tuple[str, ...]:
        """The three default topics (what the metrics sink reads)."""
        return (self.predictions, self.feedback, self.metrics)
