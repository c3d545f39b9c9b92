"""Server settings: sizes, environment variables, command-line overrides, model name."""

from __future__ import annotations

import pytest

import tiffin.spec
from tiffin.errors import SpecError
from tiffin.spec import (
    ProjectSpec,
    ServerSettings,
    apply_env,
    apply_overrides,
    model_name,
    parse_size,
)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("16MB", 16_000_000),
        ("512KiB", 512 * 1024),
        ("2 GB", 2_000_000_000),
        ("100kb", 100_000),
        ("1048576", 1_048_576),
        ("1.5 mib", 1_572_864),
        ("3GiB", 3 * 1024**3),
        ("10 b", 10),
        (4096, 4096),
    ],
)
def test_sizes(text: str | int, size: int) -> None:
    assert parse_size(text) == size
    assert ServerSettings(max_body_size=text).max_body_size == size


@pytest.mark.parametrize("text", ["", "MB", "16 parsecs", "-1", "1e6", "16 M B", True])
def test_bad_sizes(text: str | bool) -> None:
    with pytest.raises(ValueError, match="is not a size; write a number of bytes"):
        ServerSettings(max_body_size=text)


def test_log_level_is_case_insensitive() -> None:
    assert ServerSettings(log_level="WARNING").log_level == "warning"


@pytest.mark.parametrize("worker_class", ["uvicorn", "uvicorn-h11", "my.workers.Fast"])
def test_worker_classes(worker_class: str) -> None:
    assert ServerSettings(worker_class=worker_class).worker_class == worker_class


def test_every_field_is_documented() -> None:
    for model in (ServerSettings, ProjectSpec):
        undocumented = [name for name, f in model.model_fields.items() if not f.description]
        assert undocumented == [], model.__name__


def test_env_overrides_every_setting() -> None:
    environ = {
        "TIFFIN_HOST": "0.0.0.0",
        "TIFFIN_PORT": "9001",
        "TIFFIN_WORKERS": "3",
        "TIFFIN_THREADS": "8",
        "TIFFIN_WORKER_CLASS": "uvicorn-h11",
        "TIFFIN_TIMEOUT": "1.5",
        "TIFFIN_GRACEFUL_TIMEOUT": "0",
        "TIFFIN_LOG_LEVEL": "DEBUG",
        "TIFFIN_ACCESS_LOG": "on",
        "TIFFIN_MAX_BODY_SIZE": "1KiB",
    }
    original = ServerSettings()

    settings = apply_env(original, environ)

    assert settings == ServerSettings(
        host="0.0.0.0",
        port=9001,
        workers=3,
        threads=8,
        worker_class="uvicorn-h11",
        timeout=1.5,
        graceful_timeout=0,
        log_level="debug",
        access_log=True,
        max_body_size=1024,
    )
    assert original == ServerSettings()


def test_env_keeps_settings_that_are_not_overridden() -> None:
    settings = ServerSettings(port=7000, workers=4)

    assert apply_env(settings, {"TIFFIN_THREADS": "2"}) == ServerSettings(
        port=7000, workers=4, threads=2
    )


def test_empty_env_vars_are_ignored() -> None:
    environ = {"TIFFIN_PORT": "", "TIFFIN_WORKERS": "", "TIFFIN_ACCESS_LOG": ""}

    assert apply_env(ServerSettings(port=7000), environ) == ServerSettings(port=7000)


@pytest.mark.parametrize("value", ["1", "true", "t", "yes", "y", "on", "TRUE", "Yes", "On"])
def test_true_spellings(value: str) -> None:
    assert apply_env(ServerSettings(), {"TIFFIN_ACCESS_LOG": value}).access_log is True


@pytest.mark.parametrize("value", ["0", "false", "f", "no", "n", "off", "FALSE", "No", "OFF"])
def test_false_spellings(value: str) -> None:
    settings = ServerSettings(access_log=True)

    assert apply_env(settings, {"TIFFIN_ACCESS_LOG": value}).access_log is False


def test_bad_boolean_names_variable_and_accepted_values() -> None:
    with pytest.raises(SpecError) as caught:
        apply_env(ServerSettings(), {"TIFFIN_ACCESS_LOG": "maybe"})

    assert str(caught.value) == (
        "environment variable TIFFIN_ACCESS_LOG='maybe' is not a boolean; use one of "
        "1, true, t, yes, y, on (true) or 0, false, f, no, n, off (false)"
    )
    assert caught.value.key == "TIFFIN_ACCESS_LOG"


def test_bad_int_names_variable() -> None:
    with pytest.raises(SpecError) as caught:
        apply_env(ServerSettings(), {"TIFFIN_WORKERS": "many"})

    assert str(caught.value) == (
        "environment variable TIFFIN_WORKERS='many': Input should be a valid integer, "
        "unable to parse string as an integer"
    )
    assert caught.value.key == "TIFFIN_WORKERS"


def test_every_bad_env_var_is_reported() -> None:
    with pytest.raises(SpecError) as caught:
        apply_env(ServerSettings(), {"TIFFIN_PORT": "0", "TIFFIN_MAX_BODY_SIZE": "huge"})

    lines = str(caught.value).splitlines()
    assert lines[0] == (
        "environment variable TIFFIN_PORT='0': Input should be greater than or equal to 1"
    )
    assert lines[1].startswith("environment variable TIFFIN_MAX_BODY_SIZE='huge': 'huge' is not")


@pytest.mark.parametrize(
    ("environ", "port"),
    [
        ({"HTTP_PORT": "9002"}, 9002),
        ({"SAGEMAKER_BIND_TO_PORT": "9003"}, 9003),
        ({"HTTP_PORT": "9002", "SAGEMAKER_BIND_TO_PORT": "9003"}, 9002),
        ({"TIFFIN_PORT": "9001", "HTTP_PORT": "9002", "SAGEMAKER_BIND_TO_PORT": "9003"}, 9001),
        ({"TIFFIN_PORT": "", "HTTP_PORT": "", "SAGEMAKER_BIND_TO_PORT": "9003"}, 9003),
        ({}, 8080),
    ],
)
def test_port_fallbacks(environ: dict[str, str], port: int) -> None:
    assert apply_env(ServerSettings(), environ).port == port


def test_bad_fallback_port_names_the_variable_used() -> None:
    with pytest.raises(SpecError, match="SAGEMAKER_BIND_TO_PORT='http'") as caught:
        apply_env(ServerSettings(), {"SAGEMAKER_BIND_TO_PORT": "http"})

    assert caught.value.key == "SAGEMAKER_BIND_TO_PORT"


def test_overrides_apply_only_given_values() -> None:
    settings = ServerSettings(port=7000)

    updated = apply_overrides(settings, port=None, workers=2, max_body_size="1MB")

    assert updated == ServerSettings(port=7000, workers=2, max_body_size=1_000_000)
    assert settings == ServerSettings(port=7000)


def test_bad_override_names_the_flag() -> None:
    with pytest.raises(SpecError) as caught:
        apply_overrides(ServerSettings(), graceful_timeout=-1)

    assert str(caught.value) == (
        "--graceful-timeout -1: Input should be greater than or equal to 0"
    )
    assert caught.value.key == "--graceful-timeout"


def test_unknown_override_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="unknown server settings: prot"):
        apply_overrides(ServerSettings(), prot=1)


@pytest.mark.parametrize(
    ("environ", "name"),
    [({}, "iris"), ({"MODEL_NAME": ""}, "iris"), ({"MODEL_NAME": "iris-v2"}, "iris-v2")],
)
def test_model_name(environ: dict[str, str], name: str) -> None:
    assert model_name(ProjectSpec(name="iris"), environ) == name


def test_invalid_model_name_from_env() -> None:
    with pytest.raises(SpecError) as caught:
        model_name(ProjectSpec(name="iris"), {"MODEL_NAME": "iris/v2"})

    assert str(caught.value) == (
        "environment variable MODEL_NAME='iris/v2' is not a valid model name"
    )
    assert caught.value.key == "MODEL_NAME"
    assert caught.value.hint and "letters, digits" in caught.value.hint


def test_public_names() -> None:
    assert sorted(tiffin.spec.__all__) == [
        "ENV_VARIABLES",
        "LoadedSpec",
        "NAME_PATTERN",
        "ProjectSpec",
        "ServerSettings",
        "apply_env",
        "apply_overrides",
        "load_spec",
        "model_name",
        "parse_size",
    ]
    assert all(hasattr(tiffin.spec, name) for name in tiffin.spec.__all__)
