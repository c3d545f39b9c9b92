"""The one table mapping tiffin's errors to exit codes, and how the CLI prints them."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from tiffin.errors import (
    BatchError,
    ContractError,
    DeployError,
    EngineNotFound,
    FeedbackError,
    ImageError,
    InferenceError,
    ModelLoadError,
    PackagingError,
    RecordFailed,
    ServerError,
    SpecError,
    StorageError,
    TiffinError,
    TrainingError,
)

EXIT_CODE_BY_ERROR: dict[type[TiffinError], int] = {
    SpecError: 2,
    PackagingError: 2,
    ContractError: 3,
    ModelLoadError: 3,
    InferenceError: 4,
    TrainingError: 1,
    BatchError: 5,
    RecordFailed: 4,
    ImageError: 6,
    EngineNotFound: 7,
    StorageError: 8,
    DeployError: 9,
    FeedbackError: 10,
    ServerError: 11,
}

INTERRUPTED_EXIT_CODE = 130
INTERRUPTED_HINT = (
    "what was already sent or written stays as it was: a cloud job or endpoint created "
    "before Ctrl-C keeps running (`tiffin sagemaker status ...`); rerun to go on"
)

F = TypeVar("F", bound=Callable[..., Any])


def exit_code_for(error: TiffinError) -> int:
    """The exit code of an error: its nearest class in the table, else 1."""
    for cls in type(error).__mro__:
        code = EXIT_CODE_BY_ERROR.get(cls)
        if code is not None:
            return code
    return 1


def flag(setting: str) -> str:
    """How the command line spells a setting: ``max_payload`` -> ``--max-payload``."""
    return "--" + setting.replace("_", "-")


def report(error: TiffinError) -> None:
    """Print one readable line, and a hint if there is one, to stderr; settings as flags."""
    message, hint = error.rendered(flag)
    click.secho(f"error: {message}", fg="red", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)


def handle_errors(command: F) -> F:
    """Turn a TiffinError raised by a command into a message and a non-zero exit code, and
    Ctrl-C into one line and exit status 130 (never click's bare "Aborted!")."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except TiffinError as exc:
            report(exc)
            sys.exit(exit_code_for(exc))
        except KeyboardInterrupt:
            click.secho("\nerror: interrupted (Ctrl-C)", fg="red", err=True)
            click.echo(f"hint: {INTERRUPTED_HINT}", err=True)
            sys.exit(INTERRUPTED_EXIT_CODE)

    return wrapper  # type: ignore[return-value]
