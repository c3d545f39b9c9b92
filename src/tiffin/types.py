"""The small shared vocabulary spoken by every tiffin module."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeAlias

JSON: TypeAlias = "dict[str, JSON] | list[JSON] | str | int | float | bool | None"
"""A JSON-compatible value."""

Payload: TypeAlias = Any
"""Whatever a decoded request holds: JSON values, numpy arrays, DataFrames..."""

Headers: TypeAlias = "dict[str, str]"
"""Lower-cased header names mapped to values."""

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]
