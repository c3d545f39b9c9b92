"""Adapt plain functions (the Baklava style) to the model contract.

A package may expose ``predict(payload)`` and optionally ``initialize()``
instead of a class. ``initialize()`` runs once per worker, at load, and its
result is cached; ``predict`` may return a dict or a JSON string, which is
parsed so that every protocol can encode it. A batch job may be scored by an
``execute(records)`` function instead of the model (:class:`ExecuteFunction`).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import orjson

from tiffin.errors import PredictionFailed, TiffinError
from tiffin.model.contract import check_single_argument, describe, is_async


class FunctionModel:
    """A model made of a ``predict`` function and an optional ``initialize`` function."""

    def __init__(
        self,
        predict_fn: Callable[..., Any],
        initialize_fn: Callable[[], Any] | None = None,
    ) -> None:
        check_single_argument(predict_fn)
        if initialize_fn is not None:
            _check_no_arguments(initialize_fn)
        self._predict_fn = predict_fn
        self._initialize_fn = initialize_fn
        self.initialized: Any = None
        if is_async(predict_fn):
            self.predict = self._predict_async  # type: ignore[method-assign]

    def load(self) -> None:
        """Run ``initialize()`` once and keep its result."""
        if self._initialize_fn is not None:
            self.initialized = self._initialize_fn()

    def predict(self, payload: Any) -> Any:
        """Call the user's ``predict``; a JSON string result is parsed."""
        return _parse_json_string(self._predict_fn(payload))

    async def _predict_async(self, payload: Any) -> Any:
        return _parse_json_string(await self._predict_fn(payload))

    def __repr__(self) -> str:
        return f"FunctionModel({describe(self._predict_fn)})"


class ExecuteFunction:
    """Baklava's ``execute(records)``: scores a list of records in a batch job.

    ``initialize()`` runs once, at :meth:`load`; a JSON string result is parsed; what
    the function raises becomes a :class:`PredictionFailed` of the ``execute`` stage.
    """

    def __init__(
        self, execute_fn: Callable[..., Any], initialize_fn: Callable[[], Any] | None = None
    ) -> None:
        check_single_argument(execute_fn)
        if initialize_fn is not None:
            _check_no_arguments(initialize_fn)
        self._execute_fn = execute_fn
        self._initialize_fn = initialize_fn
        self._is_async = is_async(execute_fn)

    def load(self) -> None:
        """Run ``initialize()`` once, before the first records."""
        if self._initialize_fn is not None:
            self._initialize_fn()

    def __call__(self, records: Any) -> Any:
        try:
            result = self._execute_fn(records)
            if self._is_async:
                result = asyncio.run(result)
        except TiffinError:
            raise
        except Exception as exc:
            raise PredictionFailed("execute", exc) from exc
        return _parse_json_string(result)

    def __repr__(self) -> str:
        return f"ExecuteFunction({describe(self._execute_fn)})"


def _parse_json_string(result: Any) -> Any:
    if isinstance(result, str | bytes):
        try:
            return orjson.loads(result)
        except orjson.JSONDecodeError:
            return result
    return result


def _check_no_arguments(func: Callable[..., Any]) -> None:
    from tiffin.errors import ContractError

    try:
        inspect.signature(func).bind()
    except TypeError as exc:
        raise ContractError(
            f"{describe(func)} is an initializer and must take no arguments: {exc}",
            hint="write it as `def initialize():` and cache what it returns",
        ) from None
    except ValueError:
        return
