"""Find the modules a model object is built from, by walking what it holds.

A scikit-learn Pipeline holding an xgboost estimator is built from ``sklearn.pipeline``
and ``xgboost.sklearn``; its fitted arrays come from ``numpy``. The walk follows an
object's attributes (``__dict__``, where scikit-learn keeps every ``get_params`` value),
the items of lists, tuples, sets and dicts, and the items of object arrays, to a bounded
depth and a bounded number of objects, so a model of millions of parameters is walked in
milliseconds: numeric arrays are leaves, and only the first items of a long container
are visited (a forest's trees are all alike).
"""

from __future__ import annotations

import inspect
import itertools
import sys
from collections.abc import Iterable, Iterator
from typing import Any

MAX_DEPTH = 10
"""Hops from the model to the deepest object visited."""
MAX_OBJECTS = 5_000
"""Objects visited in all."""
MAX_ITEMS = 32
"""Items visited in one container."""

_LEAVES = (str, bytes, bytearray, memoryview, int, float, complex, bool, type(None), range)


def model_modules(model: Any) -> set[str]:
    """Dotted names of the modules defining the classes and functions ``model`` is built from."""
    modules: set[str] = set()
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(model, 0)]
    while stack and len(seen) < MAX_OBJECTS:
        obj, depth = stack.pop()
        if isinstance(obj, _LEAVES) or id(obj) in seen:
            continue
        seen.add(id(obj))
        modules.update(defining_modules(obj))
        if depth < MAX_DEPTH:
            stack.extend((child, depth + 1) for child in itertools.islice(children(obj), 1000))
    return modules


def defining_modules(obj: Any) -> Iterator[str]:
    """The module of ``obj`` itself (a class, function or ufunc) and of its class and bases."""
    classes = obj.__mro__ if isinstance(obj, type) else type(obj).__mro__
    for cls in classes:
        yield cls.__module__
    own = getattr(obj, "__module__", None)
    if isinstance(own, str):
        yield own


def children(obj: Any) -> Iterator[Any]:
    """What ``obj`` holds: container items, object-array items, attribute values."""
    if isinstance(obj, dict):
        yield from itertools.islice(obj.values(), MAX_ITEMS)
    elif isinstance(obj, list | tuple | set | frozenset):
        yield from itertools.islice(obj, MAX_ITEMS)
    elif _is_array(obj):
        if obj.dtype.hasobject:
            yield from itertools.islice(obj.flat, MAX_ITEMS)
    elif inspect.isclass(obj) or inspect.ismodule(obj) or inspect.isroutine(obj):
        return
    elif isinstance(getattr(obj, "__dict__", None), dict):
        yield from _values(vars(obj))
    elif callable(getattr(obj, "get_params", None)):
        yield from _values(_params(obj))


def _values(mapping: dict[str, Any]) -> Iterable[Any]:
    return list(mapping.values())


def _params(obj: Any) -> dict[str, Any]:
    try:
        params = obj.get_params(deep=False)
    except Exception:
        return {}
    return params if isinstance(params, dict) else {}


def _is_array(obj: Any) -> bool:
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(obj, numpy.ndarray)
