"""The settings of a batch job, validated once, with SageMaker batch-transform names.

SageMaker spells the same setting differently in different layers (``MultiRecord``
in the API, ``MULTI_RECORD`` inside the container); every spelling is accepted,
in any case, and stored in the API's spelling.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tiffin.codecs.registry import media_type
from tiffin.errors import BatchError, setting
from tiffin.spec import parse_size

__all__ = ["JSONLINES", "OUTPUT_TYPES", "BatchOptions"]

JSONLINES = "application/jsonlines"
CSV = "text/csv"
OUTPUT_TYPES = (JSONLINES, CSV)
"""What a Line-assembled output may be written as (``--accept``)."""

_CHOICES = {
    "split_type": ("Line", "None"),
    "batch_strategy": ("MultiRecord", "SingleRecord"),
    "assemble_with": ("Line", "None"),
    "join_source": ("None", "Input"),
    "on_error": ("fail", "skip", "record"),
}


@dataclass(frozen=True)
class BatchOptions:
    """How a batch job splits, scores and writes its inputs.

    Only the fields in :meth:`job_fields` change what is written; ``workers``,
    ``engine``, ``address`` and ``progress`` may differ between a run and its resumption.
    ``workers`` None is the engine's default: 1, or the size of a cluster it joins.
    """

    split_type: str = "Line"
    batch_strategy: str = "MultiRecord"
    max_payload: int = 6_000_000
    chunk_size: int = 1 << 20
    assemble_with: str = "Line"
    accept: str = JSONLINES
    join_source: str = "None"
    on_error: str = "fail"
    content_type: str | None = None
    recursive: bool = False
    workers: int | None = None
    engine: str = "local"
    address: str | None = None
    progress: bool | None = None

    @classmethod
    def build(cls, **values: Any) -> BatchOptions:
        """Normalize spellings and sizes (``"6MB"``), then check combinations."""
        unknown = sorted(set(values) - set(cls.__dataclass_fields__))
        if unknown:
            known = ", ".join(cls.__dataclass_fields__)
            raise BatchError(f"unknown batch option {unknown[0]!r}; known: {known}")
        for key, choices in _CHOICES.items():
            if values.get(key) is not None:
                values[key] = _choice(key, values[key], choices)
        for key in ("max_payload", "chunk_size"):
            if values.get(key) is not None:
                values[key] = _size(key, values[key])
        if values.get("accept") is not None:
            values["accept"] = _media_type(values["accept"])
        options = cls(**{key: value for key, value in values.items() if value is not None})
        options.check()
        return options

    def check(self) -> None:
        """Raise BatchError for values or combinations that cannot work."""
        if self.workers is not None and self.workers < 1:
            raise BatchError(f"{setting('workers')} must be at least 1, not {self.workers}")
        if self.max_payload < 1 or self.chunk_size < 1:
            raise BatchError("{=max_payload} and {=chunk_size} must be positive sizes")
        per_record = self.join_source == "Input" or self.on_error == "record"
        if per_record and (self.split_type == "None" or self.assemble_with == "None"):
            raise BatchError(
                "{=join_source} Input and {=on_error} record work record by record: "
                "they need {=split_type} Line and {=assemble_with} Line"
            )
        line_by_line = self.split_type == "Line" and self.assemble_with == "Line"
        if line_by_line and self.accept not in OUTPUT_TYPES:
            raise BatchError(
                f"{setting('accept')} {self.accept} cannot be written one record per line",
                hint=f"use {' or '.join(OUTPUT_TYPES)}, or {setting('assemble_with')} None",
            )

    def job_fields(self) -> dict[str, Any]:
        """The options that decide what is written: part of the job's fingerprint."""
        fields = asdict(self)
        for key in ("workers", "engine", "address", "progress"):
            fields.pop(key)
        return fields


def _choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    wanted = str(value).replace("_", "").replace("-", "").lower()
    for choice in choices:
        if choice.lower() == wanted:
            return choice
    flag = setting(key)
    raise BatchError(f"{flag} {value!r} is not one of {', '.join(choices)}")


def _size(key: str, value: Any) -> int:
    try:
        return parse_size(value)
    except Exception:
        flag = setting(key)
        raise BatchError(
            f"{flag} {value!r} is not a size", hint="write bytes or a size like 6MB or 1MiB"
        ) from None


def _media_type(value: str) -> str:
    media = media_type(value)
    aliases = {"application/x-jsonlines": JSONLINES, "application/jsonl": JSONLINES}
    return aliases.get(media, media)
