"""Where gRPC settings come from: the spec, GRPC_PORT / TIFFIN_GRPC_PORT, flags, KServe's
--grpc_port in the image's entrypoint; and when gRPC is on, off or an error."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from tiffin.cli.serve import serve
from tiffin.entrypoint import Refused, serve_command
from tiffin.errors import ExtraNotInstalled, SpecError
from tiffin.server import grpc_config
from tiffin.server.grpc_config import grpc_options, resolve_grpc_port
from tiffin.spec import ServerSettings, apply_env, apply_overrides


def test_grpc_port_comes_from_tiffin_grpc_port_else_grpc_port() -> None:
    settings = ServerSettings(grpc_port=7000)
    assert apply_env(settings, {}).grpc_port == 7000
    assert apply_env(settings, {"GRPC_PORT": "9001"}).grpc_port == 9001
    both = {"GRPC_PORT": "9001", "TIFFIN_GRPC_PORT": "9002", "HTTP_PORT": "9003"}
    assert apply_env(settings, both).grpc_port == 9002
    assert apply_env(settings, both).port == 9003
    sized = apply_env(settings, {"TIFFIN_GRPC_MAX_MESSAGE_SIZE": "64MiB"})
    assert sized.grpc_max_message_size == 64 * 1024 * 1024
    assert apply_overrides(settings, grpc_port=0).grpc_port == 0


def test_bad_grpc_settings_are_named() -> None:
    with pytest.raises(SpecError, match="environment variable GRPC_PORT='http'"):
        apply_env(ServerSettings(), {"GRPC_PORT": "http"})
    with pytest.raises(SpecError, match="--grpc-port 70000"):
        apply_overrides(ServerSettings(), grpc_port=70000)
    with pytest.raises(SpecError, match="--grpc-max-message-size 3GiB"):
        apply_overrides(ServerSettings(), grpc_max_message_size="3GiB")


def test_the_entrypoint_maps_kserves_grpc_port() -> None:
    argv, env = serve_command(["--grpc_port=9000", "--http_port", "8090"], {})
    assert argv == ["serve", "/opt/tiffin/app"]
    assert (env["TIFFIN_GRPC_PORT"], env["TIFFIN_PORT"]) == ("9000", "8090")
    _, env = serve_command([], {"GRPC_PORT": "9100"})
    assert apply_env(ServerSettings(), env).grpc_port == 9100
    with pytest.raises(Refused, match="--grpc_port=grpc: expected a whole number"):
        serve_command(["--grpc_port=grpc"], {})


def test_grpc_is_on_by_default_with_the_extra(monkeypatch) -> None:
    monkeypatch.setattr(grpc_config, "missing_distributions", lambda: [])
    assert resolve_grpc_port(ServerSettings()).grpc_port == 8081
    assert resolve_grpc_port(ServerSettings(grpc_port=9000)).grpc_port == 9000
    assert resolve_grpc_port(ServerSettings(grpc_port=0)).grpc_port == 0
    assert grpc_options(ServerSettings(grpc_port=0)) is None
    one = grpc_options(ServerSettings(grpc_port=9000, graceful_timeout=7))
    assert one is not None and not one.reuse_port and one.graceful_timeout == 7
    assert one.address == "127.0.0.1:9000" and one.max_message_size == 16 * 1024 * 1024
    two = grpc_options(ServerSettings(grpc_port=9000, workers=2, host="::1"))
    assert two is not None and two.reuse_port and two.address == "[::1]:9000"


def test_without_the_extra_grpc_is_off_unless_asked_for(monkeypatch, caplog) -> None:
    monkeypatch.setattr(grpc_config, "missing_distributions", lambda: ["grpcio"])
    with caplog.at_level(logging.INFO, logger="tiffin.server"):
        assert resolve_grpc_port(ServerSettings()).grpc_port == 0
    assert [r.getMessage() for r in caplog.records] == [
        "gRPC is off: pip install 'tiffin[grpc]' to serve the Open Inference Protocol over "
        "gRPC on port 8081 as well"
    ]
    assert resolve_grpc_port(ServerSettings(grpc_port=0)).grpc_port == 0
    with pytest.raises(ExtraNotInstalled) as caught:
        resolve_grpc_port(ServerSettings(grpc_port=8081))
    assert caught.value.message == "serving gRPC needs grpcio: pip install 'tiffin[grpc]'"


def test_serve_help_explains_the_grpc_options() -> None:
    text = CliRunner().invoke(serve, ["--help"]).output
    for words in ("--grpc-port", "--no-grpc", "--grpc-max-message-size", "TIFFIN_GRPC_PORT",
                  "GRPC_PORT", "TIFFIN_GRPC_MAX_MESSAGE_SIZE"):  # fmt: skip
        assert words in text, words
