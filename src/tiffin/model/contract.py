"""Check a user's model class or functions against the model contract, once, at load.

A broken contract raises :class:`~tiffin.errors.ContractError` quoting the
offending signature, so the user sees exactly which line to fix.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from tiffin.errors import ContractError

INJECTABLE_ARGS = ("config", "data_dir", "model_dir", "secrets", "logger")
"""Constructor arguments a model class may ask for, by name."""

PIPELINE_STAGES = ("preprocess", "predict", "postprocess")


def describe(func: Callable[..., Any], owner: str | None = None) -> str:
    """Return ``Owner.name(signature)`` for error messages, plus its file and line."""
    func = getattr(func, "__wrapped__", func)
    name = getattr(func, "__name__", repr(func))
    label = f"{owner}.{name}" if owner else name
    try:
        signature = str(inspect.signature(func))
    except (TypeError, ValueError):
        signature = "(...)"
    where = ""
    try:
        target = inspect.unwrap(func)
        where = f" at {inspect.getsourcefile(target)}:{inspect.getsourcelines(target)[1]}"
    except (OSError, TypeError):
        pass
    return f"def {label}{signature}{where}"


def constructor_arguments(cls: type) -> tuple[str, ...] | None:
    """Names of injectable arguments the constructor asks for; ``None`` means all (``**kwargs``).

    Raises ContractError if the constructor requires anything tiffin cannot give.
    """
    init = cls.__init__  # type: ignore[misc]  # the class itself, not an instance
    if init is object.__init__:
        return ()
    params = list(inspect.signature(init).parameters.values())[1:]
    wanted: list[str] = []
    takes_all = False
    for param in params:
        if param.kind is param.VAR_KEYWORD:
            takes_all = True
        elif param.kind is param.VAR_POSITIONAL:
            continue
        elif param.name in INJECTABLE_ARGS:
            wanted.append(param.name)
        elif param.default is param.empty:
            raise ContractError(
                f"{describe(init, cls.__name__)} asks for {param.name!r}, which tiffin cannot "
                f"provide; a model constructor may only ask for {', '.join(INJECTABLE_ARGS)}",
                hint=f"give {param.name!r} a default value or read it from `config`",
            )
    return None if takes_all else tuple(wanted)


def check_single_argument(func: Callable[..., Any], owner: str | None = None) -> None:
    """Raise ContractError unless ``func`` can be called with exactly one positional argument."""
    try:
        inspect.signature(func).bind(object())
    except TypeError as exc:
        raise ContractError(
            f"{describe(func, owner)} must accept exactly one argument (the inputs): {exc}",
            hint=f"write it as `def {getattr(func, '__name__', 'predict')}(self, inputs):`"
            if owner
            else "write it as `def predict(payload):`",
        ) from None
    except ValueError:  # builtins without a signature: trust them
        return


def check_model_class(cls: type) -> None:
    """Check a model class: a callable ``predict`` and well-formed optional stages."""
    if not callable(getattr(cls, "predict", None)):
        raise ContractError(
            f"model class {cls.__module__}.{cls.__qualname__} has no predict method",
            hint="add `def predict(self, inputs):` returning the predictions",
        )
    constructor_arguments(cls)
    for stage in PIPELINE_STAGES:
        method = getattr(cls, stage, None)
        if method is None:
            continue
        if not callable(method):
            raise ContractError(f"{cls.__qualname__}.{stage} must be a method, not {method!r}")
        check_single_argument(_bound_like(method), cls.__qualname__)
    load = getattr(cls, "load", None)
    if load is not None:
        try:
            inspect.signature(_bound_like(load)).bind()
        except TypeError as exc:
            raise ContractError(
                f"{describe(load, cls.__qualname__)} must take no arguments besides self: {exc}",
                hint="write it as `def load(self):`",
            ) from None


def _bound_like(method: Callable[..., Any]) -> Callable[..., Any]:
    """A view of an unbound method without its ``self`` parameter, for signature checks."""
    if isinstance(method, staticmethod | classmethod) or inspect.ismethod(method):
        return method
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):
        return method
    params = list(signature.parameters.values())
    if params and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        params = params[1:]

    def view(*args: Any, **kwargs: Any) -> Any:  # pragma: no cover - never called
        raise NotImplementedError

    view.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    view.__name__ = getattr(method, "__name__", "method")
    view.__wrapped__ = method  # type: ignore[attr-defined]
    return view


def is_async(func: Callable[..., Any]) -> bool:
    """True if calling ``func`` returns an awaitable coroutine."""
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 - callable objects with async __call__
    )
