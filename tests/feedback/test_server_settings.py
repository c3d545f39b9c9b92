"""The server's settings of the feedback loop and ml-deploy's environment names: one
precedence (flag, TIFFIN_*, the seed's name, tiffin.yaml, default), documented in
`tiffin serve --help`; a missing kafka extra is one line at start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from servers import FIXTURES, TIFFIN
from tiffin.cli.serve import serve
from tiffin.errors import ExtraNotInstalled, SpecError
from tiffin.server.events_config import events_options
from tiffin.spec import ServerSettings, apply_env, apply_overrides


def test_the_seed_names_are_read():
    environ = {"KAFKA_BROKER": "kafka:9092", "LOG_LEVEL": "WARN", "HTTP_PORT": "5000",
               "APP_DEBUG": "t", "GUNICORN_WORKERS": "3", "GUNICORN_THREADS": "4",
               "GUNICORN_ACCESS_LOG": "true", "GUNICORN_WORKER_CLASS": "gevent"}  # fmt: skip
    settings = apply_env(ServerSettings(), environ)
    assert (settings.kafka_broker, settings.log_level) == ("kafka:9092", "warning")
    assert settings.port == 5000
    assert (settings.debug, settings.workers, settings.threads) == (True, 3, 4)
    assert (settings.access_log, settings.worker_class) == (True, "uvicorn")


@pytest.mark.parametrize("value", ["0", "false", "yes", "on", "anything"])
def test_the_seeds_booleans_are_true_only_for_1_true_t(value: str):
    settings = apply_env(ServerSettings(debug=True, access_log=True),
                         {"APP_DEBUG": value, "GUNICORN_ACCESS_LOG": value})  # fmt: skip
    assert (settings.debug, settings.access_log) == (False, False)


def test_flag_then_tiffin_variable_then_seed_name_then_yaml_then_default():
    yaml = ServerSettings(kafka_broker="yaml:9092", workers=2, log_level="error")
    seed = {"KAFKA_BROKER": "seed:9092", "GUNICORN_WORKERS": "3"}
    both = {**seed, "TIFFIN_KAFKA_BROKER": "tiffin:9092", "TIFFIN_WORKERS": "4"}
    assert apply_env(ServerSettings(), {}).kafka_broker is None  # the default
    assert apply_env(yaml, {}).kafka_broker == "yaml:9092"
    assert (apply_env(yaml, seed).kafka_broker, apply_env(yaml, seed).workers) == ("seed:9092", 3)
    from_env = apply_env(yaml, both)
    assert (from_env.kafka_broker, from_env.workers, from_env.log_level) == ("tiffin:9092", 4,
                                                                             "error")  # fmt: skip
    flagged = apply_overrides(from_env, kafka_broker="flag:9092", workers=None)
    assert (flagged.kafka_broker, flagged.workers) == ("flag:9092", 4)


def test_a_bad_seed_variable_is_named():
    with pytest.raises(SpecError) as caught:
        apply_env(ServerSettings(), {"GUNICORN_WORKERS": "many"})
    assert caught.value.message.startswith("environment variable GUNICORN_WORKERS='many'")


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [("predictions_topic", "bad topic", "is not a Kafka topic name"),
     ("feedback_topic", "..", "is not a Kafka topic name"),
     ("max_event_size", "1KB", "greater than or equal to 4096")],
)  # fmt: skip
def test_event_settings_are_checked(field: str, value: str, reason: str):
    with pytest.raises(SpecError, match=reason):
        apply_overrides(ServerSettings(), **{field: value})


def test_event_options_come_from_the_settings():
    settings = ServerSettings(kafka_broker=" a:1 , b:2 ", predictions_topic="p",
                              event_inputs=False, max_event_size="64KiB")  # fmt: skip
    options = events_options(settings)
    assert options is not None
    assert (options.brokers, options.topics.predictions, options.topics.feedback) == (
        "a:1,b:2", "p", "tiffin-feedback")  # fmt: skip
    assert (options.include_inputs, options.include_outputs) == (False, True)
    assert options.max_event_bytes == 65536
    assert events_options(ServerSettings()) is None


def test_without_the_kafka_extra_the_error_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "confluent_kafka", None)  # what an absent package does
    with pytest.raises(ExtraNotInstalled) as caught:
        events_options(ServerSettings(kafka_broker="localhost:9092"))
    assert caught.value.message == ("publishing events to Kafka (kafka_broker) needs "
                                    "confluent-kafka: pip install 'tiffin[kafka]'")  # fmt: skip


def test_tiffin_serve_without_the_extra_says_so_in_one_line(tmp_path: Path):
    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['confluent_kafka'] = None\n")
    done = subprocess.run(
        [*TIFFIN, "serve", str(FIXTURES / "feedback" / "no_feedback.py"), "--no-grpc"],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(blocker), "KAFKA_BROKER": "x:9092"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 11, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: publishing events to Kafka (--kafka-broker) needs confluent-kafka: "
        "pip install 'tiffin[kafka]'"
    ]


def test_serve_help_documents_the_variables_and_their_precedence():
    text = " ".join(CliRunner().invoke(serve, ["--help"], terminal_width=200).output.split())
    for name in ("KAFKA_BROKER", "LOG_LEVEL", "HTTP_PORT", "APP_DEBUG", "GUNICORN_WORKERS",
                 "GUNICORN_THREADS", "GUNICORN_ACCESS_LOG", "GUNICORN_WORKER_CLASS",
                 "TIFFIN_KAFKA_BROKER", "--kafka-broker", "--debug / --no-debug"):  # fmt: skip
        assert name in text, name
    assert "Precedence: a flag, then TIFFIN_*, then the ml-deploy, KServe or SageMaker name" in text
