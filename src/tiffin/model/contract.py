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

NAMES_PARAMETERS = ("names", "feature_names")
"""What ``predict``'s second parameter may be called to receive the request's feature
names (the ml-deploy and Seldon convention: ``def predict(self, X, names):``)."""


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


def names_parameter(func: Callable[..., Any]) -> str | None:
    """The parameter of ``predict`` receiving the feature names, if it asks for them.

    ``predict(self, X, names)`` (or ``feature_names``, positional or keyword-only) does;
    ``predict(self, X)`` does not.
    """
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return None
    named = [
        p for p in params[1:] if p.name in NAMES_PARAMETERS and p.kind is not p.POSITIONAL_ONLY
    ]
    return named[0].name if named else None


def check_model_class(cls: type) -> None:
    """Check a model class: a callable ``predict`` and well-formed optional methods."""
    if not callable(getattr(cls, "predict", None)):
        raise ContractError(
            f"model class {cls.__module__}.{cls.__qualname__} has no predict method",
            hint="add `def predict(self, inputs):` returning the predictions",
        )
    constructor_arguments(cls)
    for stage in PIPELINE_STAGES:
        method = _method(cls, stage)
        if method is None:
            continue
        view = _bound_like(method)
        names = names_parameter(view) if stage == "predict" else None
        if names:
            _check_arguments(view, cls.__qualname__, 1, f"def predict(self, inputs, {names}):",
                             keywords=(names,))  # fmt: skip
        else:
            check_single_argument(view, cls.__qualname__)
    optional = (("load", 0, "def load(self):"),
                ("feedback", 3, "def feedback(self, inputs, truth, predicted):"),
                ("endpoints", 1, "def endpoints(self, router):"))  # fmt: skip
    for name, count, spelling in optional:
        method = _method(cls, name)
        if method is not None:
            _check_arguments(_bound_like(method), cls.__qualname__, count, spelling)


def _method(cls: type, name: str) -> Callable[..., Any] | None:
    """The class attribute ``name``: None if absent, ContractError if not callable."""
    method = getattr(cls, name, None)
    if method is not None and not callable(method):
        raise ContractError(f"{cls.__qualname__}.{name} must be a method, not {method!r}")
    return method


def _check_arguments(
    func: Callable[..., Any], owner: str, count: int, spelling: str, keywords: tuple[str, ...] = ()
) -> None:
    """Raise ContractError unless ``func`` takes ``count`` positional arguments (and
    ``keywords``), quoting its signature and how to write it."""
    try:
        inspect.signature(func).bind(*[object()] * count, **dict.fromkeys(keywords))
    except TypeError as exc:
        plural = "argument" if count == 1 else "arguments"
        takes = f"{count} {plural} besides self" if count else "no arguments besides self"
        raise ContractError(f"{describe(func, owner)} must take {takes}: {exc}",
                            hint=f"write it as `{spelling}`") from None  # fmt: skip
    except ValueError:  # builtins without a signature: trust them
        return


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
