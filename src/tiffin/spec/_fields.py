"""Field types of the spec: sizes, names, ``module:attr`` references."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from tiffin.spec.extras import UnknownExtra, check_extras
from tiffin.spec.python import normalize_python_version

__all__ = [
    "LOG_LEVELS",
    "NAME_PATTERN",
    "ByteSize",
    "EntryRef",
    "EnvName",
    "EnvValues",
    "FunctionRef",
    "LogLevelName",
    "ModelRef",
    "Name",
    "PythonVersion",
    "TiffinExtras",
    "TopicName",
    "VersionLabel",
    "WorkerClass",
    "parse_size",
]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
"""What a model name may look like; it is used in URL paths."""

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_MODULE = rf"{_IDENT}(?:\.{_IDENT})*"
_MODEL_REF = re.compile(rf"^{_MODULE}(?::{_IDENT})?$")
_FUNCTION_REF = re.compile(rf"^{_MODULE}:{_IDENT}$")
_WORKER_CLASS = re.compile(rf"^(?:uvicorn|uvicorn-h11|{_MODULE}\.{_IDENT})$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOPIC = re.compile(r"^(?!\.{1,2}$)[a-zA-Z0-9._-]{1,249}$")
"""Kafka's rule for a topic name (``tiffin.events.topics`` checks it again)."""
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
LogLevel = Literal["critical", "error", "warning", "info", "debug"]
LOG_LEVELS: tuple[str, ...] = get_args(LogLevel)
_LEVEL_ALIASES = {"warn": "warning", "fatal": "critical"}
"""Spellings of Python's logging module that mean one of :data:`LOG_LEVELS`."""


def parse_size(value: Any) -> int:
    """Turn ``16MB``, ``512KiB``, ``"2 GB"`` or ``1048576`` into a number of bytes.

    KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB powers of 1024; units are
    case-insensitive. Anything else raises a ``PydanticCustomError``, which
    pydantic reports as a validation problem of the field being parsed.
    """
    if isinstance(value, bool):
        raise _size_error(value)
    if isinstance(value, int):
        if value < 0:
            raise _size_error(value)
        return value
    if not isinstance(value, str):
        raise _size_error(value)
    match = _SIZE.match(value)
    if not match or match.group(2).lower() not in _UNITS:
        raise _size_error(value)
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def _size_error(value: Any) -> PydanticCustomError:
    return _invalid(
        f"{value!r} is not a size; write a number of bytes or a size like "
        "'16MB', '512KiB' or '2 GB' (KB/MB/GB = 1000s, KiB/MiB/GiB = 1024s)"
    )


def _invalid(message: str, hint: str | None = None) -> PydanticCustomError:
    """A validation error whose message pydantic shows as written (``hint`` goes with it)."""
    return PydanticCustomError("invalid_value", message, {"hint": hint} if hint else None)


def _matching(regex: re.Pattern[str], advice: str) -> AfterValidator:
    """A validator accepting strings that match ``regex``, else ``'value' advice``."""

    def check(value: str) -> str:
        if regex.match(value):
            return value
        raise _invalid(f"{value!r} {advice}")

    return AfterValidator(check)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _level(value: Any) -> Any:
    value = _lower(value)
    return _LEVEL_ALIASES.get(value, value) if isinstance(value, str) else value


def _scalar_to_str(value: Any) -> Any:
    """YAML reads ``version: 2`` as an int and ``FLAG: true`` as a bool: make them text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        return ""
    return value


def _number_to_str(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _env_values_to_str(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _scalar_to_str(item) for key, item in value.items()}
    return value


def _quoted_version(value: Any) -> Any:
    """``3`` is unambiguous; ``3.10`` unquoted reads as the number 3.1, so refuse floats."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        raise _invalid(
            'write the version in quotes, e.g. "3.11" (unquoted, 3.10 reads as the number 3.1)'
        )
    return value


def _python_version(value: str) -> str:
    if normalize_python_version(value) is None:
        raise _invalid(f'{value!r} should look like "3.11" (or "3", or "3.11.7")')
    return value.strip()


def _tiffin_extras(value: list[str]) -> list[str]:
    try:
        return check_extras(value)
    except UnknownExtra as exc:
        raise _invalid(str(exc), exc.hint) from None


ByteSize = Annotated[int, BeforeValidator(parse_size)]
WorkerClass = Annotated[
    str,
    _matching(
        _WORKER_CLASS,
        "is not 'uvicorn', 'uvicorn-h11' or a dotted path to a gunicorn worker class "
        "such as 'mypackage.workers.MyWorker'",
    ),
]
Name = Annotated[
    str,
    _matching(
        re.compile(NAME_PATTERN),
        "is not a valid name: start with a letter or digit and use only "
        "letters, digits, '.', '_' and '-' (it is used in URLs)",
    ),
]
ModelRef = Annotated[
    str, _matching(_MODEL_REF, "should look like 'module:ClassName', 'module:function' or 'module'")
]
FunctionRef = Annotated[str, _matching(_FUNCTION_REF, "should look like 'module:function'")]
EntryRef = Annotated[
    str,
    _matching(
        re.compile(rf"^(?:{_MODULE}(?::{_IDENT})?|[\w./-]+\.py)$"),
        "should look like 'module:function', 'module' or a script path like 'train.py'",
    ),
]
EnvName = Annotated[str, _matching(_ENV_NAME, "is not an environment variable name")]
PythonVersion = Annotated[str, BeforeValidator(_quoted_version), AfterValidator(_python_version)]
VersionLabel = Annotated[str, BeforeValidator(_number_to_str)]
EnvValues = Annotated[dict[str, str], BeforeValidator(_env_values_to_str)]
LogLevelName = Annotated[LogLevel, BeforeValidator(_level)]
TopicName = Annotated[
    str,
    _matching(_TOPIC, "is not a Kafka topic name: 1 to 249 of a-z A-Z 0-9 . _ -, not '.' or '..'"),
]
TiffinExtras = Annotated[list[str], AfterValidator(_tiffin_extras)]
