"""The codec registry: find a codec by Content-Type, or negotiate one from Accept.

Codecs register themselves with :func:`register_codec`; registering a media type
(or alias) that is already taken raises :class:`ValueError`. Header parsing is
cached because it runs on every request.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, ClassVar, TypeVar

from tiffin.errors import (
    NotAcceptable,
    PredictionFailed,
    ResultNotEncodable,
    TiffinError,
    UnsupportedMediaType,
)

__all__ = [
    "DEFAULT_MEDIA_TYPE",
    "Codec",
    "accept_quality",
    "decoder_for",
    "encoder_for",
    "media_type",
    "register_codec",
    "supported_media_types",
    "unregister_codec",
]

DEFAULT_MEDIA_TYPE = "application/json"

_CODECS: dict[str, Codec] = {}
"""Media type or alias -> codec instance."""

C = TypeVar("C", bound="type[Codec]")


class Codec:
    """Turns request bodies into Python values and values into response bodies.

    Subclasses set ``media_type`` (and optionally ``aliases``, other media types
    they answer to) and implement :meth:`decode` and :meth:`encode`.
    """

    media_type: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    universal: ClassVar[bool] = True
    """Whether it writes any value a model may return (JSON does; CSV needs a 2-D table,
    NPY a numeric array): a universal codec that fails means the result itself is wrong."""

    def decode(self, body: bytes) -> Any:
        """Decode a request body; raise :class:`~tiffin.errors.InvalidInput` if malformed."""
        raise NotImplementedError

    def encode(self, value: Any) -> bytes:
        """Encode a value as a response body."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.media_type}>"


MEDIA_TYPE_BY_SUFFIX: dict[str, str] = {
    ".json": "application/json",
    ".csv": "text/csv",
    ".npy": "application/x-npy",
    ".jsonl": "application/jsonlines",
    ".jsonlines": "application/jsonlines",
    ".ndjson": "application/jsonlines",
    ".msgpack": "application/x-msgpack",
    ".parquet": "application/x-parquet",
    ".pq": "application/x-parquet",
}
"""The one table of file suffixes and the media type each means (``tiffin predict --file``,
batch inputs). Parquet has no codec: batch jobs read it column by column."""


def media_type_of_file(name: str) -> str | None:
    """The media type a file name's suffix means, or None (case-insensitive)."""
    return MEDIA_TYPE_BY_SUFFIX.get(os.path.splitext(name)[1].lower())


def encode_result(codec: Codec, value: Any) -> bytes:
    """``codec.encode`` of a model's result, its failure put in the error tree.

    A result a narrow codec cannot write (a 3-D array as CSV) is a
    :class:`ResultNotEncodable`: the client can ask for another type. A result even a
    universal codec cannot write (an arbitrary object as JSON) is a
    :class:`PredictionFailed` of the ``encode`` stage: the model has to change.
    """
    try:
        return codec.encode(value)
    except TiffinError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        if codec.universal:
            raise PredictionFailed("encode", exc) from exc
        raise ResultNotEncodable(codec.media_type, str(exc)) from exc


def register_codec(cls: C) -> C:
    """Class decorator: register an instance of ``cls`` under its media types."""
    keys = [cls.media_type, *cls.aliases]
    if not cls.media_type:
        raise ValueError(f"codec {cls.__name__} has no media_type")
    for key in keys:
        if key != key.lower():
            raise ValueError(f"codec {cls.__name__}: media type {key!r} must be lower case")
        if key in _CODECS:
            taken = type(_CODECS[key]).__name__
            raise ValueError(f"media type {key!r} is already registered by codec {taken}")
    codec = cls()
    for key in keys:
        _CODECS[key] = codec
    _clear_caches()
    return cls


def unregister_codec(media_type: str) -> None:
    """Remove the codec registered for ``media_type``, with all its aliases."""
    codec = _CODECS.get(media_type.lower())
    if codec is None:
        raise KeyError(media_type)
    for key in [k for k, c in _CODECS.items() if c is codec]:
        del _CODECS[key]
    _clear_caches()


def supported_media_types() -> list[str]:
    """The primary media type of every registered codec, sorted."""
    return sorted({c.media_type for c in _CODECS.values()})


def decoder_for(content_type: str | None) -> Codec:
    """The codec for a Content-Type header; a missing or empty one means JSON.

    Parameters such as ``; charset=utf-8`` are ignored and matching is
    case-insensitive. Raises :class:`~tiffin.errors.UnsupportedMediaType`.
    """
    if not content_type:
        content_type = DEFAULT_MEDIA_TYPE
    codec = _CODECS.get(content_type)
    if codec is not None:
        return codec
    return _decoder_cached(content_type)


def encoder_for(accept: str | None, default: str = DEFAULT_MEDIA_TYPE) -> Codec:
    """The codec that best satisfies an Accept header.

    Honours q-values (``q=0`` excludes a type), ``*/*`` and ``type/*``. A
    missing, empty or ``*/*`` header gives the ``default`` codec. Raises
    :class:`~tiffin.errors.NotAcceptable` when no registered codec is allowed.
    """
    if not accept or accept == "*/*":
        codec = _CODECS.get(default)
        if codec is None:
            raise NotAcceptable(accept or default, supported_media_types())
        return codec
    codec = _CODECS.get(accept)
    if codec is not None:
        return codec
    return _negotiate_cached(accept, default)


def accept_quality(accept: str, media_type: str) -> float:
    """How much an Accept header wants ``media_type``: the q-value of its most specific
    matching range (``text/html`` before ``text/*`` before ``*/*``), 0 if none matches."""
    score = _score(media_type, _parse_accept(accept))
    return score[0] if score is not None else 0.0


def media_type(header: str) -> str:
    """``"Text/CSV; charset=utf-8"`` -> ``"text/csv"``: the bare, lower-case media type."""
    return header.partition(";")[0].strip().lower()


@lru_cache(maxsize=256)
def _decoder_cached(content_type: str) -> Codec:
    codec = _CODECS.get(media_type(content_type) or DEFAULT_MEDIA_TYPE)
    if codec is None:
        raise UnsupportedMediaType(content_type, supported_media_types())
    return codec


@lru_cache(maxsize=256)
def _negotiate_cached(accept: str, default: str) -> Codec:
    ranges = _parse_accept(accept)
    candidates = [default, *sorted(k for k in _CODECS if k != default)]
    best: tuple[float, int, int, int] | None = None
    best_key = ""
    for rank, key in enumerate(candidates):
        if key not in _CODECS:
            continue
        score = _score(key, ranges)
        if score is None:
            continue
        full = (*score, -rank)
        if best is None or full > best:
            best, best_key = full, key
    if best is None:
        raise NotAcceptable(accept, supported_media_types())
    return _CODECS[best_key]


def _parse_accept(accept: str) -> list[tuple[str, float, int]]:
    """Parse an Accept header into ``(media range, q, position)`` entries."""
    ranges = []
    for position, item in enumerate(accept.split(",")):
        media, _, params = item.partition(";")
        media = media.strip().lower()
        if media == "*":
            media = "*/*"
        if "/" not in media:
            continue
        ranges.append((media, _quality(params), position))
    return ranges


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 1.0
    return 1.0


def _score(media_type: str, ranges: list[tuple[str, float, int]]) -> tuple[float, int, int] | None:
    """(q, specificity, -position) of the most specific range matching, or None."""
    main = media_type.partition("/")[0]
    match: tuple[int, float, int] | None = None
    for media, q, position in ranges:
        if media == media_type:
            specificity = 2
        elif media == f"{main}/*":
            specificity = 1
        elif media == "*/*":
            specificity = 0
        else:
            continue
        if match is None or specificity > match[0]:
            match = (specificity, q, position)
    if match is None or match[1] <= 0.0:
        return None
    specificity, q, position = match
    return (q, specificity, -position)


def _clear_caches() -> None:
    _decoder_cached.cache_clear()
    _negotiate_cached.cache_clear()
