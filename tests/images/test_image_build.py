"""Building with the recording engine: what reaches the engine, and what fails before it."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from servers import FIXTURES
from tiffin.build.builder import build_image, cache_dir
from tiffin.build.engines.fake import RecordingEngine
from tiffin.build.selfwheel import installed, tiffin_wheel
from tiffin.cli.errors import flag
from tiffin.errors import BuildError, RequirementUnavailable

OUTPUTS = FIXTURES / "build" / "outputs"


def test_hermetic_build_puts_every_wheel_into_the_context(tiny_package, fake_engine) -> None:
    stream = io.StringIO()
    built = build_image(tiny_package, engine=fake_engine, stream=stream)
    assert fake_engine.calls == [("build", built.dependencies_image), ("build", "tiny:1")]
    assert built.dependencies_image.startswith("localhost/tiny-deps:")
    dependencies, image = (context["files"] for context in fake_engine.contexts)
    assert f"tiffin/tiffin-{installed().version}-py3-none-any.whl" in dependencies
    wheels = [f for f in dependencies if f.startswith("wheels/")]
    assert any(f.startswith("wheels/pydantic-") for f in wheels)
    assert any(f.startswith("wheels/numpy-") for f in wheels)
    assert {"app/tiffin.yaml", "app/tiny_model.py", "Dockerfile", ".dockerignore"} <= set(image)
    assert not [f for f in image if f.endswith(".whl")]
    assert f"FROM {built.dependencies_image}" in fake_engine.contexts[1]["Dockerfile"]
    assert "hermetic build (the default)" in stream.getvalue()
    assert built.tag == "tiny:1" and built.hermetic and built.log_file.is_file()


def test_the_dependencies_image_is_built_only_when_it_changes(tiny_package, fake_engine) -> None:
    first = build_image(tiny_package, engine=fake_engine, stream=io.StringIO())
    code = tiny_package / "tiny_model.py"
    code.write_text(code.read_text() + "# edited\n")
    stream = io.StringIO()
    again = build_image(tiny_package, engine=fake_engine, stream=stream)
    assert again.dependencies_image == first.dependencies_image
    assert f"dependencies image {first.dependencies_image} is up to date" in stream.getvalue()
    spec = tiny_package / "tiffin.yaml"
    spec.write_text(spec.read_text() + "environment: {A: '1'}\n")
    changed = build_image(tiny_package, engine=fake_engine, stream=io.StringIO())
    not_hermetic = build_image(
        tiny_package, engine=fake_engine, hermetic=False, stream=io.StringIO()
    )
    tags = [call[1] for call in fake_engine.calls]
    assert tags == [
        first.dependencies_image,
        "tiny:1",
        "tiny:1",
        changed.dependencies_image,
        "tiny:1",
        not_hermetic.dependencies_image,
        "tiny:1",
    ]
    assert (
        len({first.dependencies_image, changed.dependencies_image, not_hermetic.dependencies_image})
        == 3
    )


def test_a_requirement_that_does_not_exist_fails_before_the_engine(tiny_package) -> None:
    spec = tiny_package / "tiffin.yaml"
    spec.write_text(spec.read_text() + "requirements: [tiffin-no-such-package-xyz]\n")
    engine = RecordingEngine()
    with pytest.raises(RequirementUnavailable) as caught:
        build_image(tiny_package, engine=engine, stream=io.StringIO())
    assert "'tiffin-no-such-package-xyz' does not exist" in caught.value.message
    assert engine.calls == []


def test_a_requirement_without_a_wheel_for_the_image_is_named(tiny_package) -> None:
    spec = tiny_package / "tiffin.yaml"
    spec.write_text(spec.read_text() + "requirements: ['numpy==1.0']\n")
    engine = RecordingEngine()
    with pytest.raises(RequirementUnavailable) as caught:
        build_image(tiny_package, engine=engine, stream=io.StringIO())
    assert "'numpy==1.0' has no wheel for CPython 3.11 on manylinux" in caught.value.message
    assert "--no-hermetic" in (caught.value.rendered(flag)[1] or "")
    assert "hermetic=False" in (caught.value.hint or "")
    assert engine.calls == []


def test_a_failed_build_is_one_error_naming_the_step_and_the_log(tiny_package) -> None:
    spec = tiny_package / "tiffin.yaml"
    spec.write_text(
        spec.read_text() + "dockerlines: [RUN mkdir -p /cache, RUN test -e /nonexistent-file]\n"
    )
    output = (OUTPUTS / "podman-dl.txt").read_text().splitlines()
    engine = RecordingEngine(build_output=output, build_returncode=1)
    with pytest.raises(BuildError) as caught:
        build_image(tiny_package, engine=engine, hermetic=False, stream=io.StringIO())
    error = caught.value
    assert "dockerline 2 of the spec" in error.message
    assert error.log_file is not None
    assert "RUN test -e /nonexistent-file" in Path(error.log_file).read_text()


def test_a_setuptools_project_is_built_from_its_sdist(baklava_project, fake_engine) -> None:
    build_image(baklava_project, engine=fake_engine, hermetic=False, stream=io.StringIO())
    dependencies, image = fake_engine.contexts
    assert "project/baklava_functions-0.1.0-py3-none-any.whl" in image["files"]
    assert fake_engine.calls[-1] == ("build", "baklava-functions:0.1.0")
    assert "RUN mkdir -p /var/cache/baklava-functions" in dependencies["Dockerfile"]


def test_no_cache_reaches_the_engine(tiny_package, fake_engine) -> None:
    build_image(
        tiny_package, engine=fake_engine, hermetic=False, no_cache=True, stream=io.StringIO()
    )
    assert fake_engine.contexts[0]["no_cache"] is True


def test_tiffin_wheel_is_reproducible_and_installable(tmp_path: Path) -> None:
    first = tiffin_wheel(tmp_path / "a")
    second = tiffin_wheel(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as wheel:
        names = wheel.namelist()
    assert "tiffin/templates/build/deps.Dockerfile.jinja" in names
    assert "tiffin/entrypoint.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(first),
        ],
        check=True,
    )
    assert (target / "tiffin" / "entrypoint.py").is_file()
    assert (target / f"tiffin-{installed().version}.dist-info" / "METADATA").is_file()


def test_cache_dir_order(monkeypatch) -> None:
    assert cache_dir({"TIFFIN_CACHE_DIR": "/c"}) == Path("/c")
    assert cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/tiffin")


def test_progress_prints_steps_compactly_and_keeps_the_whole_log(tmp_path: Path) -> None:
    from tiffin.build.progress import BuildProgress

    lines = ["STEP 1/2: FROM base", "Get:1 http://mirror.example", "STEP 2/2: RUN make"]
    stream = io.StringIO()
    with BuildProgress(tmp_path / "plain.log", stream=stream, live=False) as progress:
        progress.say("building")
        for line in lines:
            progress.line(line)
    assert stream.getvalue().splitlines() == [
        "tiffin: building",
        "  step 1/2: FROM base",
        "  step 2/2: RUN make",
    ]
    assert (tmp_path / "plain.log").read_text().splitlines() == ["tiffin: building", *lines]
    live = io.StringIO()
    with BuildProgress(tmp_path / "live.log", stream=live, live=True) as progress:
        for line in lines:
            progress.line(line)
    assert "step 2/2: RUN make" in live.getvalue()
    assert live.getvalue().endswith("\r\x1b[2K")


def test_an_old_python_version_is_said_before_building(tiny_package, fake_engine) -> None:
    spec = tiny_package / "tiffin.yaml"
    spec.write_text(spec.read_text() + 'python_version: "3.6.6"\n')
    stream = io.StringIO()
    build_image(tiny_package, engine=fake_engine, hermetic=False, stream=stream)
    said = stream.getvalue()
    assert "tiffin: python_version '3.6.6' is older than tiffin supports" in said
    assert "python:3.10-slim" in said
    dependencies = str(fake_engine.contexts[0]["Dockerfile"])
    assert "FROM python:3.10-slim" in dependencies
