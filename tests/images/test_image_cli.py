"""`tiffin build`, `dockerfile`, `run` and `push` with the recording engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import tiffin
from tiffin.build import builder, engines
from tiffin.build.engines.fake import RecordingEngine
from tiffin.cli import run as run_module
from tiffin.cli.main import cli


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> RecordingEngine:
    fake = RecordingEngine()

    def select(name=None, **_):
        return fake

    monkeypatch.setattr(engines, "select_engine", select)
    monkeypatch.setattr(builder, "select_engine", select)
    return fake


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_dockerfile_prints_the_rendered_dockerfile(tiny_package: Path) -> None:
    result = invoke("dockerfile", str(tiny_package), "--base-image", "debian-python:3.11")
    assert result.exit_code == 0
    assert result.output.startswith("# ---- dependencies/Dockerfile ----")
    assert "# ---- image/Dockerfile ----\n# tiny 1, rendered by tiffin" in result.output
    assert "FROM debian-python:3.11 AS builder" in result.output
    assert 'ENTRYPOINT ["/opt/venv/bin/python", "-m", "tiffin.entrypoint"]' in result.output


def test_dockerfile_writes_a_buildable_context(tiny_package: Path, tmp_path: Path) -> None:
    out = tmp_path / "context"
    result = invoke("dockerfile", str(tiny_package), "--output", str(out), "--no-hermetic")
    assert result.exit_code == 0, result.output
    assert (out / "image" / "Dockerfile").is_file()
    assert (out / "image" / "app" / "tiny_model.py").is_file()
    assert len(list((out / "dependencies" / "tiffin").glob("tiffin-*.whl"))) == 1
    assert not (out / "dependencies" / "wheels").exists()
    assert "build --tag tiny:1 image" in (out / "build.sh").read_text()
    again = invoke("dockerfile", str(tiny_package), "--output", str(out))
    assert again.exit_code == 2 and "is not empty" in again.output


def test_build_prints_the_tag(tiny_package: Path, engine: RecordingEngine) -> None:
    result = invoke("build", str(tiny_package), "--tag", "tiny:dev", "--no-hermetic")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "tiny:dev"
    assert engine.calls[-1] == ("build", "tiny:dev")


def test_build_failure_exits_6_with_the_step(tiny_package: Path, monkeypatch) -> None:
    output = ["STEP 1/2: FROM base", "STEP 2/2: RUN make", "make: *** [all] Error 2"]
    fake = RecordingEngine(build_output=output, build_returncode=1)
    monkeypatch.setattr(builder, "select_engine", lambda name=None, **_: fake)
    result = invoke("build", str(tiny_package), "--no-hermetic")
    assert result.exit_code == 6
    assert "error: fake build failed at step 2/2: RUN make" in result.output
    assert "make: *** [all] Error 2" in result.output


def test_no_engine_exits_7_naming_the_engines_and_tiffin_serve(
    tiny_package, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("TIFFIN_ENGINE", raising=False)
    result = invoke("build", str(tiny_package))
    assert result.exit_code == 7
    assert "install docker, podman or buildah" in result.output
    assert "tiffin serve PATH" in result.output


def test_push_names_the_destination(engine: RecordingEngine) -> None:
    result = invoke("push", "iris:1", "127.0.0.1:5000", "--no-tls-verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "127.0.0.1:5000/iris:1"
    assert engine.calls == [("push", "iris:1", "127.0.0.1:5000/iris:1", False)]


def test_push_failure_exits_6(monkeypatch) -> None:
    fake = RecordingEngine(push_output=["denied: requested access"], push_returncode=1)
    monkeypatch.setattr(engines, "select_engine", lambda name=None, **_: fake)
    result = invoke("push", "iris:1", "registry.example.com/team")
    assert result.exit_code == 6
    assert "pushing iris:1 to registry.example.com/team:1 failed" in result.output


def test_run_an_image(engine: RecordingEngine, monkeypatch, tmp_path: Path) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(run_module.subprocess, "call", lambda argv: calls.append(argv) or 0)
    result = invoke("run", "iris:1", "-p", "9000")
    assert result.exit_code == 0, result.output
    assert calls[-1][-2:] == ["iris:1", "serve"]
    data = tmp_path / "records"
    data.mkdir()
    result = invoke(
        "run",
        "iris:1",
        "batch",
        "--channel",
        f"input={data}",
        "--ml-dir",
        str(tmp_path / "ml"),
        "--",
        "--on-error",
        "skip",
    )
    assert result.exit_code == 0, result.output
    assert calls[-1][-4:] == ["iris:1", "batch", "--on-error", "skip"]
    assert f"/opt/ml was {tmp_path / 'ml'}" in result.output


def test_run_a_package_builds_it_first(tiny_package, engine, monkeypatch) -> None:
    monkeypatch.setattr(run_module.subprocess, "call", lambda argv: 0)
    result = invoke("run", str(tiny_package), "train")
    assert result.exit_code == 0, result.output
    assert engine.calls[1] == ("build", "tiny:1")
    assert engine.calls[-1] == ("run", "tiny:1", ("train",))


def test_build_image_is_public(tiny_package, fake_engine) -> None:
    import io

    built = tiffin.build_image(
        tiny_package, engine=fake_engine, hermetic=False, stream=io.StringIO()
    )
    assert built.tag == "tiny:1" and built.engine == "fake"
