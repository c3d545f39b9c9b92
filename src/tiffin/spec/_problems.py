"""Turn pydantic validation errors into one readable :class:`SpecError`."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from tiffin.errors import SpecError
from tiffin.spec._read import KeyPath, LineMap, format_key

_PREFIXES = ("Value error, ", "Assertion failed, ")
_SCALARS = (str, int, float, bool)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec, located by key and (when known) line."""

    key: str
    message: str
    line: int | None = None
    hint: str | None = None


def problems_from(exc: ValidationError, lines: LineMap, model: type[BaseModel]) -> list[Problem]:
    """One :class:`Problem` per pydantic error, in the order they appear in the file."""
    problems = [_problem(error, lines, model) for error in exc.errors()]
    return sorted(problems, key=lambda p: p.line if p.line is not None else float("inf"))


def spec_error(problems: list[Problem], path: str) -> SpecError:
    """A single error listing every problem as ``path:LINE: key: message``."""
    first, rest = problems[0], problems[1:]
    lines = [f"{first.key}: {first.message}"]
    lines += [f"{_where(path, p.line)}: {p.key}: {p.message}" for p in rest]
    hint = next((p.hint for p in problems if p.hint), None)
    return SpecError("\n".join(lines), path=path, line=first.line, key=first.key, hint=hint)


def describe(error: ErrorDetails, *, show_input: bool = True) -> str:
    """Pydantic's message for one error, without its jargon, plus the offending value."""
    message = error["msg"]
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    value = error.get("input")
    if show_input and _is_builtin(error) and isinstance(value, _SCALARS):
        message += f" (got {_short(value)})"
    return message


def _problem(error: ErrorDetails, lines: LineMap, model: type[BaseModel]) -> Problem:
    loc: KeyPath = tuple(error["loc"])
    line = _line_of(loc, lines)
    if error["type"] == "extra_forbidden":
        return _unknown_key(loc, line, model)
    hint = (error.get("ctx") or {}).get("hint")
    return Problem(format_key(loc) or "(top level)", describe(error), line, hint)


def _unknown_key(loc: KeyPath, line: int | None, model: type[BaseModel]) -> Problem:
    allowed = _fields_at(model, loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
    if close:
        hint = f"did you mean {close[0]!r}?"
        return Problem(format_key(loc), f"unknown key; {hint}", line, hint)
    message = f"unknown key; allowed keys here are: {', '.join(allowed)}"
    return Problem(format_key(loc), message, line)


def _fields_at(model: type[BaseModel], path: KeyPath) -> list[str]:
    """The field names of the (nested) model found at ``path``."""
    for part in path:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def _line_of(loc: KeyPath, lines: LineMap) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _is_builtin(error: ErrorDetails) -> bool:
    """Our own messages already quote the value; pydantic's do not."""
    return "url" in error


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _where(path: str, line: int | None) -> str:
    return f"{path}:{line}" if line else path
