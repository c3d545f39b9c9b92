"""Planning an image: base image, tag, files and layers, setuptools projects, run and push."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

from servers import FIXTURES
from tiffin.build.engines.fake import RecordingEngine
from tiffin.build.files import is_ignored
from tiffin.build.plan import (
    BuildOptions,
    base_image_for,
    plan_package,
    plan_setuptools,
)
from tiffin.build.push import destination_for, split_reference
from tiffin.build.run import RunRequest, parse_publish, run_command
from tiffin.build.target import Target
from tiffin.errors import SpecError
from tiffin.spec import ProjectSpec, load_spec
from tiffin.spec.setuptools import (
    SetuptoolsProject,
    parse_entry_points,
    project_spec,
    read_sdist,
)
from tiffin.spec.tags import default_tag


def test_base_image_flag_then_variable_then_spec_then_python_version() -> None:
    spec = ProjectSpec(name="m", python_version="3.12", base_image="spec/image:1")
    env = {"TIFFIN_BASE_IMAGE": "env/image:1"}
    assert base_image_for(spec, "flag/image:1", env) == "flag/image:1"
    assert base_image_for(spec, None, env) == "env/image:1"
    assert base_image_for(spec, None, {}) == "spec/image:1"
    assert base_image_for(ProjectSpec(name="m", python_version="3.12"), None, {}) == (
        "python:3.12-slim"
    )


@pytest.mark.parametrize(
    ("name", "version", "tag"),
    [
        ("iris", "1", "iris:1"),
        ("Churn_Model", "2024.05", "churn_model:2024.05"),
        ("m", "0.1.0+local", "m:0.1.0-local"),
    ],
)
def test_default_tag_is_a_valid_reference(name: str, version: str, tag: str) -> None:
    assert default_tag(name, version) == tag


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("notes.log", True),
        ("src/deep/x.log", True),
        ("notebooks/a.ipynb", True),
        ("build/x.py", True),
        ("pkg/build/x.py", False),
        ("__pycache__/a.pyc", True),
        (".git/config", True),
        ("model.py", False),
        ("keep.log", False),
    ],
)
def test_ignore_patterns(path: str, ignored: bool) -> None:
    patterns = [".git*", "__pycache__", "/build", "*.log", "notebooks/", "!keep.log"]
    assert is_ignored(PurePosixPath(path), patterns) is ignored


def test_layers_separate_data_model_and_code() -> None:
    plan = plan_package(load_spec(FIXTURES / "build" / "extras"), BuildOptions(), environ={})
    layers = {layer.context_dir: layer for layer in plan.layers}
    assert [layer.context_dir for layer in plan.layers] == ["data", "model", "app"]
    assert layers["model"].image_dir == "/opt/tiffin/app/weights"
    app_files = [relative for _, relative in layers["app"].files]
    assert app_files == ["requirements.txt", "scorer.py", "tiffin.yaml"]
    assert plan.requirements == ("numpy<3", "pyyaml>=6")
    assert plan.labels["org.opencontainers.image.description"] == "Looks numbers up in a table"


def test_sources_digest_changes_with_the_code_only(tmp_path: Path) -> None:
    (tmp_path / "tiffin.yaml").write_text("name: d\nmodel: m\n")
    (tmp_path / "m.py").write_text("x = 1\n")
    first = plan_package(load_spec(tmp_path), BuildOptions(), environ={}).sources_digest
    again = plan_package(load_spec(tmp_path), BuildOptions(tag="other:2"), environ={})
    (tmp_path / "m.py").write_text("x = 2\n")
    changed = plan_package(load_spec(tmp_path), BuildOptions(), environ={}).sources_digest
    assert first == again.sources_digest != changed
    assert first.startswith("sha256:")


def test_a_single_file_model_gets_a_generated_spec(tmp_path: Path) -> None:
    (tmp_path / "scorer.py").write_text("class S:\n    def predict(self, x):\n        return x\n")
    (tmp_path / "unrelated.txt").write_text("not copied")
    plan = plan_package(load_spec(tmp_path / "scorer.py"), BuildOptions(), environ={})
    (app,) = plan.layers
    assert [relative for _, relative in app.files] == ["scorer.py"]
    path, text = plan.generated[0]
    assert path == "app/tiffin.yaml" and "model: scorer" in text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"system_packages": ["libgomp1; rm -rf /"]}, "is not a Debian package name"),
        ({"environment": {"BAD-NAME": "1"}}, "is not an environment variable name"),
        ({"environment": {"A": "two\nlines"}}, "holds a line break"),
    ],
)
def test_spec_values_that_would_break_the_dockerfile(tmp_path, fields, message) -> None:
    from tiffin.spec import LoadedSpec

    loaded = LoadedSpec(ProjectSpec(name="m", **fields), tmp_path, None)
    with pytest.raises(SpecError, match=message):
        plan_package(loaded, BuildOptions(), environ={})


def test_a_model_dir_outside_the_package_is_refused(tmp_path: Path) -> None:
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "w.bin").write_bytes(b"1")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "tiffin.yaml").write_text("name: m\nmodel: m\nmodel_dir: ../weights\n")
    with pytest.raises(SpecError, match=r"model_dir '\.\./weights' is outside the package"):
        plan_package(load_spec(tmp_path / "pkg"), BuildOptions(), environ={})


def test_target_platform_tags() -> None:
    target = Target("3.11", "x86_64")
    platforms = target.platforms()
    assert platforms[0] == "manylinux_2_36_x86_64"
    assert "manylinux_2_17_x86_64" in platforms and "manylinux1_x86_64" in platforms
    options = target.pip_options()
    assert options[:1] == ["--only-binary=:all:"] and "cp311" in options
    assert Target("3.12", "aarch64").platforms()[-1] == "manylinux2014_aarch64"


# --- setuptools projects -----------------------------------------------------------------


def test_entry_points_in_every_form_setup_accepts() -> None:
    as_lists = {"baklava.predict": ["p = pkg.main:predict"], "tiffin.train": "t = pkg.t:train"}
    as_ini = "[baklava.predict]\np = pkg.main:predict\n\n[tiffin.train]\nt = pkg.t:train\n"
    expected = {"baklava.predict": {"p": "pkg.main:predict"}, "tiffin.train": {"t": "pkg.t:train"}}
    assert parse_entry_points(as_lists) == expected
    assert parse_entry_points(as_ini) == expected
    with pytest.raises(SpecError, match="should look like 'name = module:function'"):
        parse_entry_points({"tiffin.predict": ["just-a-name"]})


def test_project_spec_maps_roles_to_spec_fields() -> None:
    project = SetuptoolsProject(
        name="scorer",
        version="0.2",
        requirements=("numpy",),
        python_version="3.12",
        dockerlines=("RUN true",),
        entry_points={
            "baklava.predict": {"p": "s.main:predict"},
            "tiffin.initialize": {"i": "s.main:init"},
            "baklava.execute": {"e": "s.main:execute"},
        },
    )
    spec = project_spec(project)
    assert (spec.model, spec.initialize, spec.batch, spec.train) == (
        "s.main:predict",
        "s.main:init",
        "s.main:execute",
        None,
    )
    assert spec.python_version == "3.12" and spec.dockerlines == ["RUN true"]


def test_several_entry_points_of_a_role_need_a_choice() -> None:
    project = SetuptoolsProject(
        name="s",
        version="1",
        entry_points={"tiffin.predict": {"a": "s:a"}, "baklava.predict": {"b": "s:b"}},
    )
    with pytest.raises(
        SpecError, match=r"2 tiffin\.predict or baklava\.predict entry points \(a, b\)"
    ):
        project_spec(project)
    assert project_spec(project, chosen={"predict": "b"}).model == "s:b"
    with pytest.raises(
        SpecError, match=r"no tiffin\.predict or baklava\.predict entry point named"
    ):
        project_spec(project, chosen={"predict": "c"})


def test_read_sdist_of_the_example(baklava_project: Path, tmp_path: Path) -> None:
    argv = [sys.executable, "setup.py", "-q", "sdist", "--dist-dir", str(tmp_path / "dist")]
    subprocess.run(argv, cwd=baklava_project, check=True, capture_output=True)
    project = read_sdist(next((tmp_path / "dist").glob("*.tar.gz")))
    assert (project.name, project.version, project.python_version) == (
        "baklava-functions",
        "0.1.0",
        "3.11",
    )
    assert project.entries("predict") == {"predict": "baklava_functions.main:predict"}
    assert project.dockerlines and project.dockerlines[0].startswith("RUN mkdir")


def test_setup_py_commands_are_registered(baklava_project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "setup.py", "predict", "--engine", "kaniko"],
        cwd=baklava_project,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "container engine 'kaniko' cannot be used: unknown engine" in done.stderr
    help_text = subprocess.run(
        [sys.executable, "setup.py", "--help-commands"],
        cwd=baklava_project,
        capture_output=True,
        text=True,
    ).stdout
    for command in ("train", "predict", "execute"):
        assert f"  {command} " in help_text


def test_bad_setup_keywords_are_reported(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text(
        "from setuptools import setup\nsetup(name='x', version='1', python_version=3.1)\n"
    )
    done = subprocess.run(
        [sys.executable, "setup.py", "--name"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert 'python_version should be a string like "3.11"' in done.stderr


# --- run and push ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "target", "destination"),
    [
        ("iris:1", "127.0.0.1:5000", "127.0.0.1:5000/iris:1"),
        ("localhost/iris:1", "reg.example.com/team/iris", "reg.example.com/team/iris:1"),
        ("iris", "reg:5000/x:prod", "reg:5000/x:prod"),
        ("docker.io/library/iris:2", "reg:5000", "reg:5000/iris:2"),
    ],
)
def test_push_destination(image: str, target: str, destination: str) -> None:
    assert destination_for(image, target) == destination


def test_split_reference() -> None:
    assert split_reference("registry:5000/team/iris:1") == ("registry:5000", "team/iris", "1")
    assert split_reference("iris") == (None, "iris", None)


def test_run_serve_publishes_on_localhost() -> None:
    engine = RecordingEngine()
    command = run_command(engine, RunRequest(image="iris:1", publish="9000"))
    assert command.argv == [
        "fake",
        "run",
        "--rm",
        "--publish",
        "127.0.0.1:9000:8080",
        "iris:1",
        "serve",
    ]
    assert parse_publish("0.0.0.0:8081") == ("0.0.0.0", 8081, 8080)
    with pytest.raises(ValueError, match="is not a port"):
        parse_publish("eighty")


def test_run_train_lays_out_and_mounts_opt_ml(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    request = RunRequest(
        image="iris:1",
        mode="train",
        channels={"train": data},
        hyperparameters={"C": "0.5"},
        model_dir=tmp_path / "model",
        ml_dir=tmp_path / "ml",
    )
    command = run_command(RecordingEngine(), request)
    argv = command.argv
    assert f"{tmp_path / 'ml'}:/opt/ml" in argv
    assert f"{data}:/opt/ml/input/data/train:ro" in argv
    assert f"{tmp_path / 'model'}:/opt/ml/model" in argv
    assert argv[argv.index("--user") + 1] == f"{os_ids()}"
    config = tmp_path / "ml" / "input" / "config"
    assert json.loads((config / "hyperparameters.json").read_text()) == {"C": "0.5"}
    assert list(json.loads((config / "inputdataconfig.json").read_text())) == ["train"]
    assert argv[-2:] == ["iris:1", "train"]


def os_ids() -> str:
    import os

    return f"{os.getuid()}:{os.getgid()}"


@pytest.mark.parametrize(
    ("requested", "image", "noted"),
    [("3.11.7", "python:3.11-slim", False), ("3", "python:3.11-slim", False),
     ("3.10", "python:3.10-slim", False), ("3.6.6", "python:3.10-slim", True)],
)  # fmt: skip
def test_python_version_maps_to_a_base_image(
    tiny_package: Path, requested: str, image: str, noted: bool
) -> None:
    (tiny_package / "tiffin.yaml").write_text(
        f'name: tiny\nmodel: tiny_model:Tiny\npython_version: "{requested}"\n'
    )
    plan = plan_package(load_spec(tiny_package), BuildOptions(), {})
    assert plan.base_image == image
    assert plan.target.python_version == image.split(":")[1].removesuffix("-slim")
    assert bool(plan.notes) is noted
    if noted:
        [note] = plan.notes
        assert f"python_version '{requested}'" in note
        assert "python:3.10-slim" in note
        assert '"3.10" or later' in note


def test_an_old_python_version_is_noted_even_with_another_base_image(tiny_package: Path) -> None:
    (tiny_package / "tiffin.yaml").write_text(
        'name: tiny\nmodel: tiny_model:Tiny\npython_version: "3.7"\n'
    )
    plan = plan_package(load_spec(tiny_package), BuildOptions(base_image="mine:1"), {})
    assert plan.base_image == "mine:1"
    assert plan.target.python_version == "3.10"
    assert plan.notes and "Python 3.10" in plan.notes[0]


def test_baklava_python_version_3_6_6_builds_on_the_oldest_supported_python(
    baklava_project: Path, tmp_path: Path
) -> None:
    """Baklava's own example writes python_version='3.6.6'."""
    setup = baklava_project / "setup.py"
    setup.write_text(setup.read_text().replace('python_version="3.11"', "python_version='3.6.6'"))
    argv = [sys.executable, "setup.py", "-q", "sdist", "--dist-dir", str(tmp_path / "dist")]
    done = subprocess.run(argv, cwd=baklava_project, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    sdist = next((tmp_path / "dist").glob("*.tar.gz"))
    project = read_sdist(sdist)
    assert project.python_version == "3.6.6"
    plan = plan_setuptools(project, sdist, BuildOptions(default_mode="train"), {})
    assert plan.base_image == "python:3.10-slim"
    assert "python_version '3.6.6'" in plan.notes[0]
