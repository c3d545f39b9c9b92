"""How requests' payloads are joined into one batch, and the result split back per request.

A payload is *batchable* when it has rows along its first axis:

- a numpy array of one or more dimensions (its rows: ``shape[0]``);
- a list of rows (its rows: its length);
- a pandas DataFrame or Series (its rows: its length);
- a dict of those, all with the same number of rows (several named inputs, as the Open
  Inference Protocol hands a model with several input tensors).

Two payloads go into the same batch only if their :func:`batch_key` is equal: the same
kind, and for arrays the same dtype and trailing shape, for frames the same columns and
dtypes, for lists the same kind of first row. Anything else (a scalar, a string, a dict of
scalars) is not batchable and runs on its own.

:func:`join` concatenates payloads of one key along axis 0; :func:`split_rows` cuts a
result back into one piece per request by their row counts. A model may do both itself
with ``concat_inputs(self, payloads)`` and ``split_outputs(self, result, sizes)``
(:class:`BatchCodec`).
"""

from __future__ import annotations

import inspect
import itertools
import sys
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tiffin.errors import ContractError
from tiffin.model.contract import describe

__all__ = ["HOOKS", "BatchCodec", "UnsplittableResult", "batch_key", "codec_for", "join",
           "rows_of", "split_rows"]  # fmt: skip

HOOKS = ("concat_inputs", "split_outputs")
"""The methods a model may define to join its inputs and split its outputs itself."""


class UnsplittableResult(ValueError):
    """A batched result that cannot be cut into one piece per request."""


def _pandas() -> Any:
    """The pandas module if someone imported it; a payload can't be pandas otherwise."""
    return sys.modules.get("pandas")


def batch_key(payload: Any) -> Hashable | None:
    """What a payload must share with others to be batched with them; None: not batchable."""
    if isinstance(payload, np.ndarray):
        return None if payload.ndim == 0 else ("array", payload.dtype.str, payload.shape[1:])
    if isinstance(payload, list):
        return ("list", _row_kind(payload[0])) if payload else None
    if isinstance(payload, dict):
        return _dict_key(payload)
    pd = _pandas()
    if pd is not None and isinstance(payload, pd.DataFrame):
        return ("frame", tuple(payload.columns), tuple(str(t) for t in payload.dtypes))
    if pd is not None and isinstance(payload, pd.Series):
        return ("series", str(payload.dtype), payload.name)
    return None


def _dict_key(payload: dict[Any, Any]) -> Hashable | None:
    """A dict of batchable values with the same row count; None for anything else."""
    if not payload:
        return None
    keys = []
    rows = None
    for name, value in payload.items():
        if isinstance(value, dict):
            return None
        key = batch_key(value)
        if key is None:
            return None
        count = rows_of(value)
        if rows is not None and count != rows:
            return None
        rows = count
        keys.append((name, key))
    return ("dict", tuple(keys))


def _row_kind(row: Any) -> Hashable:
    """The kind of a list's first row: its length and element kind for a sequence, its keys
    for a record, its type otherwise (ints and floats are both numbers)."""
    if isinstance(row, list | tuple):
        return ("row", len(row), _scalar_kind(row[0]) if row else None)
    if isinstance(row, dict):
        return ("record", tuple(row))
    return _scalar_kind(row)


def _scalar_kind(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | float | np.number):
        return "number"
    return type(value).__name__


def rows_of(payload: Any) -> int:
    """The rows of a batchable payload; 1 for one that is not (a record, a text...)."""
    if isinstance(payload, np.ndarray):
        return int(payload.shape[0]) if payload.ndim else 1
    if isinstance(payload, list):
        return len(payload) or 1
    if isinstance(payload, dict):
        if _dict_key(payload) is None:
            return 1
        return rows_of(next(iter(payload.values())))
    pd = _pandas()
    if pd is not None and isinstance(payload, pd.DataFrame | pd.Series):
        return len(payload)
    return 1


def join(payloads: Sequence[Any]) -> Any:
    """Concatenate payloads of one :func:`batch_key` along their first axis."""
    first = payloads[0]
    if isinstance(first, np.ndarray):
        return np.concatenate(payloads, axis=0)
    if isinstance(first, list):
        return [row for payload in payloads for row in payload]
    if isinstance(first, dict):
        return {name: join([payload[name] for payload in payloads]) for name in first}
    pd = _pandas()
    if pd is not None and isinstance(first, pd.DataFrame | pd.Series):
        return pd.concat(payloads, ignore_index=True)
    raise TypeError(f"cannot batch a {type(first).__name__}")


def split_rows(result: Any, sizes: Sequence[int]) -> list[Any]:
    """Cut a batched result into one piece per request of ``sizes`` rows each.

    An array, list, DataFrame or Series is cut along its first axis; a dict or a tuple
    (several outputs) is cut value by value. Raises UnsplittableResult for anything else,
    or a result whose rows are not the total of ``sizes``.
    """
    if isinstance(result, dict):
        parts = {name: split_rows(value, sizes) for name, value in result.items()}
        return [{name: pieces[i] for name, pieces in parts.items()} for i in range(len(sizes))]
    if isinstance(result, tuple):
        columns = [split_rows(value, sizes) for value in result]
        return [tuple(pieces[i] for pieces in columns) for i in range(len(sizes))]
    total = sum(sizes)
    rows = _result_rows(result)
    if rows != total:
        found = "no rows" if rows is None else f"{rows} rows"
        raise UnsplittableResult(
            f"predict returned {found} ({type(result).__name__}) for {total} input rows"
        )
    bounds = np.cumsum([0, *sizes]).tolist()
    pd = _pandas()
    if pd is not None and isinstance(result, pd.DataFrame | pd.Series):
        return [result.iloc[a:b].reset_index(drop=True) for a, b in itertools.pairwise(bounds)]
    return [result[a:b] for a, b in itertools.pairwise(bounds)]


def _result_rows(result: Any) -> int | None:
    if isinstance(result, np.ndarray):
        return int(result.shape[0]) if result.ndim else None
    if isinstance(result, list):
        return len(result)
    pd = _pandas()
    if pd is not None and isinstance(result, pd.DataFrame | pd.Series):
        return len(result)
    return None


@dataclass(frozen=True)
class BatchCodec:
    """How one model's payloads are joined and its results split.

    ``custom`` is True when the model brings its own ``concat_inputs``/``split_outputs``:
    every request of a window is then offered to them, whatever its shape.
    """

    concat: Callable[[list[Any]], Any]
    split: Callable[[Any, list[int]], Any]
    custom: bool = False

    def key(self, payload: Any) -> Hashable | None:
        """The compatibility key of ``payload``; with the model's own hooks, one for all."""
        return () if self.custom else batch_key(payload)

    def cut(self, result: Any, sizes: list[int]) -> list[Any]:
        """:attr:`split`, checked: one piece per request."""
        pieces = self.split(result, sizes)
        if not isinstance(pieces, list | tuple) or len(pieces) != len(sizes):
            count = len(pieces) if isinstance(pieces, list | tuple) else type(pieces).__name__
            raise UnsplittableResult(
                f"split_outputs returned {count} pieces for {len(sizes)} requests"
            )
        return list(pieces)


DEFAULT_CODEC = BatchCodec(join, split_rows)


def codec_for(instance: Any) -> BatchCodec:
    """The model's own hooks if it has them (checked), else concatenation by rows.

    Raises ContractError for one hook without the other, or a hook of the wrong shape,
    quoting its signature.
    """
    cls = type(instance)
    found: dict[str, Any] = {name: getattr(instance, name, None) for name in HOOKS}
    if not any(found.values()):
        return DEFAULT_CODEC
    missing = [name for name, hook in found.items() if hook is None]
    if missing:
        have = next(name for name, hook in found.items() if hook is not None)
        raise ContractError(
            f"{cls.__qualname__} defines {have} but not {missing[0]}: a model that joins "
            "its own inputs must also split its outputs",
            hint="add `def concat_inputs(self, payloads):` and "
            "`def split_outputs(self, result, sizes):` (one piece per request)",
        )
    concat, split = found["concat_inputs"], found["split_outputs"]
    _check_hook(concat, cls, "concat_inputs", ("payloads",))
    _check_hook(split, cls, "split_outputs", ("result", "sizes"))
    return BatchCodec(concat, split, custom=True)


def _check_hook(hook: Any, cls: type, name: str, arguments: tuple[str, ...]) -> None:
    """Raise ContractError unless ``hook`` is a sync method taking ``arguments``."""
    owner = cls.__qualname__
    spelling = f"def {name}(self, {', '.join(arguments)}):"
    count = len(arguments)
    if not callable(hook) or inspect.iscoroutinefunction(hook):
        raise ContractError(f"{owner}.{name} must be a plain (not async) method",
                            hint=f"write it as `{spelling}`")  # fmt: skip
    try:
        inspect.signature(hook).bind(*[object()] * count)
    except TypeError as exc:
        raise ContractError(f"{describe(hook, owner)} must take {count} arguments besides "
                            f"self: {exc}", hint=f"write it as `{spelling}`") from None  # fmt: skip
    except ValueError:  # builtins without a signature: trust them
        return
