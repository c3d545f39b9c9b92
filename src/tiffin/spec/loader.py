"""Find and load a package spec, and layer environment and CLI settings on top.

A spec comes from a package directory (``tiffin.yaml``, ``tiffin.yml`` or a
``[tool.tiffin]`` table in ``pyproject.toml``), from one of those files, or from
a single ``.py`` file holding a model, which gets the default spec.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tiffin.errors import SpecError
from tiffin.spec._fields import NAME_PATTERN
from tiffin.spec._problems import describe, problems_from, spec_error
from tiffin.spec._read import LineMap, read_toml, read_yaml, toml_lines
from tiffin.spec.model import ProjectSpec, ServerSettings

__all__ = ["LoadedSpec", "apply_env", "apply_overrides", "load_spec", "model_name"]

SPEC_FILES = ("tiffin.yaml", "tiffin.yml")
NO_SPEC_HINT = "run `tiffin init NAME` to create one, or pass a .py file holding a model class"
_TABLE = ("tool", "tiffin")
_NOT_NAME = re.compile(r"[^A-Za-z0-9._-]")

ENV_VARIABLES: dict[str, tuple[str, ...]] = {
    "host": ("TIFFIN_HOST",),
    "port": ("TIFFIN_PORT", "HTTP_PORT", "SAGEMAKER_BIND_TO_PORT"),
    "grpc_port": ("TIFFIN_GRPC_PORT", "GRPC_PORT"),
    "workers": ("TIFFIN_WORKERS", "GUNICORN_WORKERS"),
    "preload": ("TIFFIN_PRELOAD",),
    "threads": ("TIFFIN_THREADS", "GUNICORN_THREADS", "GUNICORN_THREAD"),
    "worker_class": ("TIFFIN_WORKER_CLASS", "GUNICORN_WORKER_CLASS"),
    "timeout": ("TIFFIN_TIMEOUT",),
    "max_batch_size": ("TIFFIN_MAX_BATCH_SIZE",),
    "max_latency_ms": ("TIFFIN_MAX_LATENCY_MS",),
    "graceful_timeout": ("TIFFIN_GRACEFUL_TIMEOUT",),
    "log_level": ("TIFFIN_LOG_LEVEL", "LOG_LEVEL"),
    "access_log": ("TIFFIN_ACCESS_LOG", "GUNICORN_ACCESS_LOG"),
    "debug": ("TIFFIN_DEBUG", "APP_DEBUG"),
    "console": ("TIFFIN_CONSOLE",),
    "max_body_size": ("TIFFIN_MAX_BODY_SIZE",),
    "grpc_max_message_size": ("TIFFIN_GRPC_MAX_MESSAGE_SIZE",),
    "kafka_broker": ("TIFFIN_KAFKA_BROKER", "KAFKA_BROKER"),
    "predictions_topic": ("TIFFIN_PREDICTIONS_TOPIC",),
    "feedback_topic": ("TIFFIN_FEEDBACK_TOPIC",),
    "event_inputs": ("TIFFIN_EVENT_INPUTS",),
    "event_outputs": ("TIFFIN_EVENT_OUTPUTS",),
    "max_event_size": ("TIFFIN_MAX_EVENT_SIZE",),
}
"""The environment variables of each server setting, the first one set winning: tiffin's
own name, then the name KServe, SageMaker or ml-deploy (KAFKA_BROKER, LOG_LEVEL,
HTTP_PORT, APP_DEBUG, GUNICORN_*) gives it."""
_TRUE = ("1", "true", "t", "yes", "y", "on")
_FALSE = ("0", "false", "f", "no", "n", "off")
_BOOLEAN_FIELDS = ("access_log", "console", "debug", "event_inputs", "event_outputs", "preload")
SEED_TRUE = ("1", "true", "t")
"""ml-deploy's booleans (APP_DEBUG, GUNICORN_ACCESS_LOG): true for these, else false."""
SEED_BOOLEANS = ("APP_DEBUG", "GUNICORN_ACCESS_LOG")
WSGI_WORKERS = ("sync", "gthread", "eventlet", "gevent", "tornado")
"""gunicorn's own worker classes (ml-deploy's GUNICORN_WORKER_CLASS): they serve WSGI
apps; tiffin's ASGI app runs on its uvicorn worker instead."""


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec, the package root it belongs to and the file it came from."""

    spec: ProjectSpec
    root: Path
    source: Path | None


def load_spec(path: str | Path) -> LoadedSpec:
    """Load the spec of a package directory, a spec file or a single ``.py`` model file.

    Raises :class:`SpecError` naming the file, line and key of every problem.
    """
    given = Path(path)
    if given.is_dir():
        return _load_dir(given)
    if not given.exists():
        raise SpecError("no such file or directory", path=str(given))
    if given.suffix in (".yaml", ".yml"):
        return _load_yaml(given)
    if given.suffix == ".toml":
        loaded = _load_pyproject(given)
        if loaded is None:
            raise SpecError(
                "has no [tool.tiffin] table",
                path=str(given),
                hint='add a [tool.tiffin] table (name = "my-model"), or write a tiffin.yaml',
            )
        return loaded
    if given.suffix == ".py":
        return _load_py(given)
    raise SpecError(
        "is not a tiffin spec",
        path=str(given),
        hint="pass a package directory, a tiffin.yaml, a pyproject.toml or a .py file",
    )


def _load_dir(directory: Path) -> LoadedSpec:
    for name in SPEC_FILES:
        if (directory / name).is_file():
            return _load_yaml(directory / name)
    pyproject = directory / "pyproject.toml"
    loaded = _load_pyproject(pyproject) if pyproject.is_file() else None
    if loaded is None:
        raise SpecError(
            "no tiffin spec here (looked for tiffin.yaml, tiffin.yml "
            "and a [tool.tiffin] table in pyproject.toml)",
            path=str(directory.resolve()),
            hint=NO_SPEC_HINT,
        )
    return loaded


def _load_yaml(file: Path) -> LoadedSpec:
    data, lines = read_yaml(file)
    data = {} if data is None else data
    return _build(data, lines, file, default_name=file.resolve().parent.name)


def _load_pyproject(file: Path) -> LoadedSpec | None:
    document, text = read_toml(file)
    tool = document.get("tool")
    table = tool.get("tiffin") if isinstance(tool, dict) else None
    if table is None:
        return None
    project = document.get("project")
    default = project.get("name") if isinstance(project, dict) else None
    if not isinstance(default, str):
        default = file.resolve().parent.name
    return _build(table, toml_lines(text, _TABLE), file, default_name=default)


def _load_py(file: Path) -> LoadedSpec:
    module = file.stem
    if not module.isidentifier():
        raise SpecError(
            "cannot be imported as a Python module",
            path=str(file),
            hint=f"rename it to {_NOT_NAME.sub('_', module).replace('-', '_')}.py",
        )
    spec = ProjectSpec(name=_sanitize(module), model=module)
    return LoadedSpec(spec=spec, root=file.resolve().parent, source=file.resolve())


def _build(data: Any, lines: LineMap, file: Path, default_name: str) -> LoadedSpec:
    if not isinstance(data, dict):
        raise SpecError(
            f"the top level must be a mapping of keys such as 'name: my-model', not {_kind(data)}",
            path=str(file),
        )
    if "name" not in data:
        data = {**data, "name": _sanitize(default_name)}
    try:
        spec = ProjectSpec.model_validate(data)
    except ValidationError as exc:
        raise spec_error(problems_from(exc, lines, ProjectSpec), str(file)) from exc
    return LoadedSpec(spec=spec, root=file.resolve().parent, source=file.resolve())


def _sanitize(name: str) -> str:
    """Make a directory or file name usable as a model name."""
    return _NOT_NAME.sub("-", name).lstrip("._-") or "model"


def _kind(value: Any) -> str:
    kinds = {list: "a list", str: "a single text value", int: "a number", float: "a number"}
    return kinds.get(type(value), f"a {type(value).__name__}")


def apply_env(settings: ServerSettings, environ: Mapping[str, str]) -> ServerSettings:
    """A copy of ``settings`` overridden by environment variables (:data:`ENV_VARIABLES`).

    For each setting the first variable set wins: ``TIFFIN_PORT``, else ``HTTP_PORT``,
    else ``SAGEMAKER_BIND_TO_PORT``; ``TIFFIN_KAFKA_BROKER``, else ``KAFKA_BROKER``... Empty
    variables are ignored. ml-deploy's booleans (``APP_DEBUG``, ``GUNICORN_ACCESS_LOG``)
    are true for 1, true or t and false otherwise; its ``GUNICORN_WORKER_CLASS`` names
    (sync, gevent...) mean tiffin's uvicorn worker.
    """
    chosen: dict[str, str] = {}
    for field, variables in ENV_VARIABLES.items():
        var = next((var for var in variables if environ.get(var, "").strip()), None)
        if var is not None:
            chosen[field] = var
    given = {var: environ[var].strip() for var in chosen.values()}
    values = {field: _env_value(var, field, given[var]) for field, var in chosen.items()}
    labels = {field: f"environment variable {var}={given[var]!r}" for field, var in chosen.items()}
    return _updated(settings, values, labels, dict(chosen))


def _env_value(var: str, field: str, value: str) -> Any:
    if var in SEED_BOOLEANS:
        return value.lower() in SEED_TRUE
    if var == "GUNICORN_WORKER_CLASS" and value.lower() in WSGI_WORKERS:
        return "uvicorn"
    if field not in _BOOLEAN_FIELDS:
        return value
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise SpecError(
        f"environment variable {var}={value!r} is not a boolean; use one of "
        f"{', '.join(_TRUE)} (true) or {', '.join(_FALSE)} (false)",
        key=var,
    )


def apply_overrides(settings: ServerSettings, **overrides: Any) -> ServerSettings:
    """A copy of ``settings`` with every override that is not ``None`` applied.

    Meant for command-line flags: problems are reported as ``--flag-name value``.
    """
    unknown = sorted(set(overrides) - set(ServerSettings.model_fields))
    if unknown:
        raise TypeError(f"unknown server settings: {', '.join(unknown)}")
    values = {field: value for field, value in overrides.items() if value is not None}
    keys = {field: "--" + field.replace("_", "-") for field in values}
    labels = {field: f"{keys[field]} {values[field]}" for field in values}
    return _updated(settings, values, labels, keys)


def _updated(
    settings: ServerSettings,
    values: dict[str, Any],
    labels: dict[str, str],
    keys: dict[str, str],
) -> ServerSettings:
    """Validate ``settings`` with ``values`` applied; name each bad one by its label."""
    try:
        return ServerSettings.model_validate({**settings.model_dump(), **values})
    except ValidationError as exc:
        raise _settings_error(exc, labels, keys) from exc


def _settings_error(
    exc: ValidationError, labels: dict[str, str], keys: dict[str, str]
) -> SpecError:
    errors = exc.errors()
    fields = [str(error["loc"][0]) if error["loc"] else "" for error in errors]
    lines = [
        f"{labels.get(field, field)}: {describe(error, show_input=False)}"
        for field, error in zip(fields, errors, strict=True)
    ]
    return SpecError("\n".join(lines), key=keys.get(fields[0], fields[0]))


def model_name(spec: ProjectSpec, environ: Mapping[str, str]) -> str:
    """The name the model is served under: ``MODEL_NAME`` if set, else ``spec.name``."""
    value = environ.get("MODEL_NAME", "").strip()
    if not value:
        return spec.name
    if not re.match(NAME_PATTERN, value):
        raise SpecError(
            f"environment variable MODEL_NAME={value!r} is not a valid model name",
            key="MODEL_NAME",
            hint="start with a letter or digit and use only letters, digits, '.', '_' and '-'",
        )
    return value
