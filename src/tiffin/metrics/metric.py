"""One model-reported metric: a validated name, type, value and labels.

A model reports metrics as :class:`Metric` objects (``gauge("accuracy", 0.93)``) or
as the plain dicts the ml-deploy and Seldon conventions use
(``{"name": "accuracy", "type": "GAUGE", "value": 0.93}``); both are checked here,
once, and anything wrong raises :class:`~tiffin.errors.InvalidMetric` with the reason.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from tiffin.errors import InvalidMetric

__all__ = [
    "Metric",
    "MetricType",
    "counter",
    "gauge",
    "parse_metrics",
    "partition_metrics",
    "timer",
]

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
"""Prometheus' metric-name rule."""

LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
"""Prometheus' label-name rule."""

RESERVED_PREFIX = "tiffin_"
"""Names of tiffin's own metrics start with this; a model's may not."""

RESERVED_LABELS = frozenset({"model", "version", "le", "quantile"})
"""Labels tiffin sets itself (model, version) or Prometheus gives a meaning (le, quantile)."""

MAX_NAME_LENGTH = 200
LABEL_VALUE_TYPES = (str, int, float, bool)


class MetricType(str, Enum):
    """What a value means, and how Prometheus records it.

    GAUGE is the current value (``set``), COUNTER an amount to add (``inc``, never
    negative), TIMER a duration in **milliseconds**, observed into a histogram in seconds.
    """

    GAUGE = "GAUGE"
    COUNTER = "COUNTER"
    TIMER = "TIMER"


@dataclass(frozen=True)
class Metric:
    """A validated metric. Build one with :func:`gauge`, :func:`counter` or :func:`timer`,
    or with ``Metric.from_dict({"name": ..., "type": ..., "value": ...})``."""

    name: str
    type: MetricType
    value: float
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _checked_name(self.name))
        kind = _checked_type(self.name, self.type)
        object.__setattr__(self, "type", kind)
        object.__setattr__(self, "value", _checked_value(self.name, kind, self.value))
        object.__setattr__(self, "labels", _checked_labels(self.name, self.labels))

    @classmethod
    def from_dict(cls, item: Mapping[str, Any]) -> Metric:
        """A metric from ``{"name", "type", "value", "labels"}``; ``key`` (Seldon) may stand
        for ``name`` and ``tags`` for ``labels``."""
        if not isinstance(item, Mapping):
            raise InvalidMetric(None, f"expected a dict or a Metric, got {type(item).__name__}")
        name = item.get("name", item.get("key"))
        unknown = set(item) - {"name", "key", "type", "value", "labels", "tags"}
        if unknown:
            raise InvalidMetric(_printable(name), f"unknown field(s) {', '.join(sorted(unknown))}")
        for required in ("type", "value"):
            if required not in item:
                raise InvalidMetric(_printable(name), f"missing {required!r}")
        labels = item.get("labels", item.get("tags")) or {}
        return cls(name, item["type"], item["value"], labels)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form events carry: ``{"name", "type", "value", "labels"}``."""
        return {"name": self.name, "type": self.type.value, "value": self.value,
                "labels": dict(self.labels)}  # fmt: skip


def gauge(name: str, value: float, **labels: Any) -> Metric:
    """A value that goes up and down (accuracy, queue length); the latest one counts."""
    return Metric(name, MetricType.GAUGE, value, labels)


def counter(name: str, value: float = 1, **labels: Any) -> Metric:
    """An amount (1 by default) to add to a total that only grows (errors, items seen)."""
    return Metric(name, MetricType.COUNTER, value, labels)


def timer(name: str, milliseconds: float, **labels: Any) -> Metric:
    """A duration in milliseconds; Prometheus shows it as a histogram in seconds."""
    return Metric(name, MetricType.TIMER, milliseconds, labels)


def parse_metrics(items: Iterable[Metric | Mapping[str, Any]] | None) -> tuple[Metric, ...]:
    """Check a list of metrics (objects or dicts); the error names the position of a bad one."""
    if items is None:
        return ()
    if isinstance(items, (Mapping, str, bytes, Metric)):
        raise InvalidMetric(None, f"expected a list of metrics, got {type(items).__name__}")
    metrics = []
    for position, item in enumerate(items):
        try:
            metrics.append(item if isinstance(item, Metric) else Metric.from_dict(item))
        except InvalidMetric as exc:
            raise InvalidMetric(exc.name, exc.reason, position=position) from None
    return tuple(metrics)


def partition_metrics(
    items: Iterable[Metric | Mapping[str, Any]] | None,
) -> tuple[tuple[Metric, ...], tuple[InvalidMetric, ...]]:
    """The good metrics of a list and the errors of the bad ones, without raising.

    What a :class:`~tiffin.metrics.Result` keeps: a bad metric must not cost the client
    its prediction, so it is set aside for the server to log and count.
    """
    if items is None:
        return (), ()
    if isinstance(items, (Mapping, str, bytes, Metric)) or not isinstance(items, Iterable):
        return (), (InvalidMetric(None, f"expected a list of metrics, got "
                                        f"{type(items).__name__}"),)  # fmt: skip
    good: list[Metric] = []
    bad: list[InvalidMetric] = []
    for position, item in enumerate(items):
        try:
            good.append(item if isinstance(item, Metric) else Metric.from_dict(item))
        except InvalidMetric as exc:
            bad.append(InvalidMetric(exc.name, exc.reason, position=position))
    return tuple(good), tuple(bad)


def _printable(name: object) -> str | None:
    return name if isinstance(name, str) else None


def _checked_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidMetric(None, f"the name must be a non-empty string, got {name!r}")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidMetric(name[:40] + "...", f"the name is longer than {MAX_NAME_LENGTH}")
    if not NAME.fullmatch(name):
        raise InvalidMetric(name, "a name is letters, digits, '_' and ':', not starting "
                                  "with a digit (Prometheus' rule)")  # fmt: skip
    if name.startswith("__") or name.startswith(RESERVED_PREFIX):
        raise InvalidMetric(name, f"names starting with '__' or {RESERVED_PREFIX!r} are "
                                  "reserved")  # fmt: skip
    return name


def _checked_type(name: str, kind: object) -> MetricType:
    if isinstance(kind, MetricType):
        return kind
    if isinstance(kind, str) and kind.upper() in MetricType.__members__:
        return MetricType[kind.upper()]
    choices = ", ".join(MetricType.__members__)
    raise InvalidMetric(name, f"unknown type {kind!r}; expected one of {choices}")


def _checked_value(name: str, kind: MetricType, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidMetric(name, f"the value must be a number, got {value!r} "
                                  f"({type(value).__name__})")  # fmt: skip
    number = float(value)
    if not math.isfinite(number):
        raise InvalidMetric(name, f"the value must be finite, got {number}")
    if number < 0 and kind is not MetricType.GAUGE:
        what = "a counter only grows" if kind is MetricType.COUNTER else "a duration"
        raise InvalidMetric(name, f"the value must not be negative ({what}), got {number}")
    return number


def _checked_labels(name: str, labels: object) -> dict[str, str]:
    if not isinstance(labels, Mapping):
        raise InvalidMetric(name, f"labels must be a dict, got {type(labels).__name__}")
    checked = {}
    for key, value in labels.items():
        if not isinstance(key, str) or not LABEL.fullmatch(key) or key.startswith("__"):
            raise InvalidMetric(name, f"bad label name {key!r}: letters, digits and '_', not "
                                      "starting with a digit or '__'")  # fmt: skip
        if key in RESERVED_LABELS:
            raise InvalidMetric(name, f"label {key!r} is reserved (tiffin sets model and "
                                      "version; Prometheus uses le and quantile)")  # fmt: skip
        if not isinstance(value, LABEL_VALUE_TYPES):
            raise InvalidMetric(name, f"label {key!r} must be a string or a number, got "
                                      f"{type(value).__name__}")  # fmt: skip
        checked[key] = str(value)
    return dict(sorted(checked.items()))
