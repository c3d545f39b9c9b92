"""Read YAML and TOML spec files, remembering the line each key was written on."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, TypeAlias

import yaml

from tiffin.errors import SpecError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

KeyPath: TypeAlias = tuple[str | int, ...]
"""Where a value sits in the spec: ``("server", "port")``, ``("requirements", 0)``."""

LineMap: TypeAlias = dict[KeyPath, int]
"""The 1-based line each key (or list item) of a spec was written on."""

_TOML_AT = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$")
_TOML_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_TOML_DOTTED = rf"{_TOML_PART}(?:\s*\.\s*{_TOML_PART})*"
_TOML_KEY = re.compile(rf"^\s*({_TOML_DOTTED})\s*=")
_TOML_HEADER = re.compile(rf"^\s*\[\[?\s*({_TOML_DOTTED})\s*\]\]?\s*(?:#.*)?$")


def read_text(path: Path) -> str:
    """The text of a spec file, as a :class:`SpecError` if it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError("is not UTF-8 text", path=str(path)) from exc
    except OSError as exc:
        raise SpecError(f"cannot be read: {exc.strerror or exc}", path=str(path)) from exc


def read_yaml(path: Path) -> tuple[Any, LineMap]:
    """Parse a YAML file; return its data and the line of every key in it."""
    loader = yaml.SafeLoader(read_text(path))
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(path, exc) from exc
    except yaml.YAMLError as exc:
        raise SpecError(f"is not valid YAML: {exc}", path=str(path)) from exc
    finally:
        loader.dispose()
    lines: LineMap = {}
    if node is not None:
        _collect(node, (), lines, path)
    return data, lines


def _yaml_error(path: Path, exc: yaml.MarkedYAMLError) -> SpecError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "syntax error"
    if exc.context:
        problem = f"{problem} ({exc.context})"
    return SpecError(
        f"invalid YAML: {problem}",
        path=str(path),
        line=mark.line + 1 if mark else None,
        hint="check the indentation and that values holding ': ' or '#' are quoted",
    )


def _collect(node: yaml.Node, prefix: KeyPath, lines: LineMap, path: Path) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key, line = key_node.value, key_node.start_mark.line + 1
            if key in seen:
                raise SpecError(
                    f"{format_key((*prefix, key))}: written twice (first on line {seen[key]})",
                    path=str(path),
                    line=line,
                    key=format_key((*prefix, key)),
                )
            seen[key] = line
            here = (*prefix, key)
            lines[here] = line
            _collect(value_node, here, lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            here = (*prefix, index)
            lines[here] = item.start_mark.line + 1
            _collect(item, here, lines, path)


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; return the document and its text."""
    text = read_text(path)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _TOML_AT.search(message)
        raise SpecError(
            f"invalid TOML: {_TOML_AT.sub('', message)}",
            path=str(path),
            line=int(at.group(1)) if at else None,
        ) from exc


def toml_lines(text: str, table: tuple[str, ...]) -> LineMap:
    """Best-effort lines of the keys inside ``table`` (and its subtables) of a TOML text.

    Keys are given relative to ``table``; the table header itself maps to ``()``.
    """
    lines: LineMap = {}
    current: tuple[str, ...] = ()
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if depth:  # inside a multi-line array
            depth = max(depth + line.count("[") - line.count("]"), 0)
            continue
        if header := _TOML_HEADER.match(line):
            current = _split_toml_key(header.group(1))
            _record(lines, current, table, number)
        elif key := _TOML_KEY.match(line):
            _record(lines, current + _split_toml_key(key.group(1)), table, number)
            rest = line[key.end() :]
            depth = max(rest.count("[") - rest.count("]"), 0)
    return lines


def _split_toml_key(key: str) -> tuple[str, ...]:
    parts = re.findall(_TOML_PART, key)
    return tuple(part.strip("\"'") for part in parts)


def _record(lines: LineMap, path: tuple[str, ...], table: tuple[str, ...], line: int) -> None:
    if path[: len(table)] == table:
        lines.setdefault(path[len(table) :], line)


def format_key(path: KeyPath) -> str:
    """``("server", "port")`` -> ``server.port``; ``("requirements", 0)`` -> ``requirements[0]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")
