"""What ``predict`` (or ``feedback``) returns when it reports metrics or names topics.

A model returns its output as usual, or a :class:`Result` carrying the output together
with metrics, extra Kafka topics for the event and, optionally, what the event should
record as the input. ``(output, [gauge(...), ...])`` works too. The ml-deploy spelling,
``create_response(input=..., target=..., list_metrics=..., topics=...)`` (also
``ResponseFormat``), builds the same object, so a class written for it runs as is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tiffin.errors import InvalidMetric
from tiffin.metrics.metric import Metric, partition_metrics

__all__ = ["NOT_GIVEN", "ResponseFormat", "Result", "create_response", "unwrap_result"]


class _NotGiven:
    """The marker of an argument left out (``None`` is a legitimate input)."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Any = _NotGiven()
"""``Result.input`` when the model did not say what the event should record as input."""


@dataclass(frozen=True)
class Result:
    """A model's output with the metrics it reports and the extra topics of its event.

    ``output`` is what the client receives. ``metrics`` are :class:`Metric` objects or
    dicts, checked here: a bad one never raises (it must not cost the client its
    prediction) but moves to ``rejected``, an :class:`~tiffin.errors.InvalidMetric` saying
    why, which the server logs and counts. ``topics`` are Kafka topics the event goes to
    besides the default one (a name Kafka would refuse is logged, counted and skipped
    when the event is sent). ``input``, if given, is recorded in the event instead of
    the request's decoded inputs.
    """

    output: Any
    metrics: tuple[Metric, ...] = ()
    topics: tuple[str, ...] = ()
    input: Any = field(default=NOT_GIVEN, repr=False)
    rejected: tuple[InvalidMetric, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        metrics, rejected = partition_metrics(self.metrics)
        object.__setattr__(self, "metrics", metrics)
        object.__setattr__(self, "rejected", (*self.rejected, *rejected))
        object.__setattr__(self, "topics", _topic_names(self.topics))


def create_response(
    input: Any = NOT_GIVEN,
    target: Any = None,
    list_metrics: Iterable[Metric | Mapping[str, Any]] | None = None,
    topics: Iterable[str] | None = None,
) -> Result:
    """The ml-deploy way to build a :class:`Result`: ``target`` is the output."""
    metrics, rejected = partition_metrics(list_metrics)
    return Result(target, metrics, _topic_names(topics), input, rejected)


ResponseFormat = create_response
"""ml-deploy's other name for :func:`create_response`."""


def unwrap_result(value: Any) -> Result:
    """Whatever ``predict`` returned, as a :class:`Result`.

    A :class:`Result` is returned as is; a pair ``(output, metrics)`` whose second item is
    a non-empty list or tuple of :class:`Metric` objects becomes ``Result(output,
    metrics)``; anything else is a plain output with no metrics. Dicts are not taken as
    metrics in a pair (a model may well return ``(labels, [{...}])``): use ``Result``.
    """
    if isinstance(value, Result):
        return value
    if isinstance(value, tuple) and len(value) == 2 and _all_metrics(value[1]):
        return Result(value[0], tuple(value[1]))
    return Result(value)


def _all_metrics(items: Any) -> bool:
    return (
        isinstance(items, (list, tuple))
        and bool(items)
        and all(isinstance(item, Metric) for item in items)
    )


def _topic_names(topics: Any) -> tuple[str, ...]:
    """One name or several, as a tuple; the names are checked when the event is sent."""
    if isinstance(topics, str):
        return (topics,)
    try:
        return tuple(topics or ())
    except TypeError:  # not iterable: kept as one (invalid) name for the publisher to refuse
        return (topics,)
