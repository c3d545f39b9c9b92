"""Every way into a spec: package directory, spec file, pyproject, single .py file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tiffin.errors import SpecError
from tiffin.spec import LoadedSpec, ProjectSpec, ServerSettings, load_spec
from tiffin.spec.python import image_python

WriteFile = Callable[[str, str], Path]

FULL_SPEC = """
name: iris
version: 3
description: Classifies irises
model: model:IrisClassifier
initialize: setup:download
python_version: "3.12"
requirements:
  - scikit-learn==1.5.0
requirements_file: requirements.txt
system_packages: [libgomp1]
base_image: python:3.12-slim
dockerlines:
  - RUN mkdir /cache
environment:
  OMP_NUM_THREADS: 1
  DEBUG: true
  LABEL: hello
secrets: [HF_TOKEN]
config:
  threshold: 0.5
  classes: [a, b]
model_dir: artifacts
data_dir: /srv/data
server:
  host: 0.0.0.0
  port: 9000
  workers: 2
  threads: 4
  worker_class: uvicorn-h11
  timeout: 2.5
  graceful_timeout: 0
  log_level: DEBUG
  access_log: yes
  max_body_size: 2 MiB
"""


def test_directory_with_tiffin_yaml_loads_every_field(tmp_path: Path, write: WriteFile) -> None:
    source = write("pkg/tiffin.yaml", FULL_SPEC)

    loaded = load_spec(tmp_path / "pkg")

    assert loaded == LoadedSpec(spec=loaded.spec, root=source.parent, source=source)
    spec = loaded.spec
    assert (spec.name, spec.version, spec.description) == ("iris", "3", "Classifies irises")
    assert (spec.model, spec.initialize) == ("model:IrisClassifier", "setup:download")
    assert spec.python_version == "3.12"
    assert spec.requirements == ["scikit-learn==1.5.0"]
    assert spec.requirements_file == "requirements.txt"
    assert spec.system_packages == ["libgomp1"]
    assert spec.base_image == "python:3.12-slim"
    assert spec.dockerlines == ["RUN mkdir /cache"]
    assert spec.environment == {"OMP_NUM_THREADS": "1", "DEBUG": "true", "LABEL": "hello"}
    assert spec.secrets == ["HF_TOKEN"]
    assert spec.config == {"threshold": 0.5, "classes": ["a", "b"]}
    assert spec.server == ServerSettings(
        host="0.0.0.0",
        port=9000,
        workers=2,
        threads=4,
        worker_class="uvicorn-h11",
        timeout=2.5,
        graceful_timeout=0,
        log_level="debug",
        access_log=True,
        max_body_size=2 * 1024 * 1024,
    )


def test_resolved_dirs_are_relative_to_the_package_root(tmp_path: Path, write: WriteFile) -> None:
    write("pkg/tiffin.yaml", FULL_SPEC)

    loaded = load_spec(tmp_path / "pkg")

    assert loaded.spec.resolved_model_dir(loaded.root) == tmp_path / "pkg" / "artifacts"
    assert loaded.spec.resolved_data_dir(loaded.root) == Path("/srv/data")


def test_defaults_of_a_minimal_spec(tmp_path: Path, write: WriteFile) -> None:
    write("pkg/tiffin.yaml", "name: tiny\n")

    spec = load_spec(tmp_path / "pkg").spec

    assert spec == ProjectSpec(name="tiny")
    assert spec.version == "1"
    assert spec.model is None and spec.initialize is None
    assert spec.python_version == "3.11"
    assert spec.requirements == [] and spec.environment == {} and spec.config == {}
    assert (spec.model_dir, spec.data_dir) == ("model", "data")
    assert spec.server == ServerSettings()
    assert spec.resolved_model_dir(tmp_path) == tmp_path / "model"
    assert spec.resolved_data_dir(tmp_path) == tmp_path / "data"


def test_server_defaults() -> None:
    server = ServerSettings()

    assert (server.host, server.port, server.workers, server.threads) == ("127.0.0.1", 8080, 1, 1)
    assert server.worker_class == "uvicorn"
    assert (server.timeout, server.graceful_timeout) == (60, 30)
    assert (server.log_level, server.access_log) == ("info", False)
    assert server.max_body_size == 16 * 1024 * 1024


def test_directory_with_tiffin_yml(tmp_path: Path, write: WriteFile) -> None:
    source = write("pkg/tiffin.yml", "name: short-suffix\n")

    loaded = load_spec(tmp_path / "pkg")

    assert loaded.spec.name == "short-suffix"
    assert loaded.source == source


def test_tiffin_yaml_wins_over_yml_and_pyproject(tmp_path: Path, write: WriteFile) -> None:
    write("pkg/tiffin.yaml", "name: from-yaml\n")
    write("pkg/tiffin.yml", "name: from-yml\n")
    write("pkg/pyproject.toml", '[tool.tiffin]\nname = "from-pyproject"\n')

    assert load_spec(tmp_path / "pkg").spec.name == "from-yaml"


def test_spec_file_given_directly(tmp_path: Path, write: WriteFile) -> None:
    source = write("pkg/tiffin.yaml", "name: direct\n")

    loaded = load_spec(str(source))

    assert (loaded.spec.name, loaded.root, loaded.source) == ("direct", source.parent, source)


def test_yaml_without_name_is_named_after_its_directory(tmp_path: Path, write: WriteFile) -> None:
    write("My Model (v2)/tiffin.yaml", "description: no name here\n")

    spec = load_spec(tmp_path / "My Model (v2)").spec

    assert spec.name == "My-Model--v2-"
    assert spec.description == "no name here"


def test_empty_yaml_gives_the_default_spec(tmp_path: Path, write: WriteFile) -> None:
    write("churn/tiffin.yaml", "# nothing yet\n")

    assert load_spec(tmp_path / "churn").spec == ProjectSpec(name="churn")


def test_pyproject_tool_tiffin_table(tmp_path: Path, write: WriteFile) -> None:
    source = write(
        "pkg/pyproject.toml",
        """
        [project]
        name = "ignored-project-name"

        [tool.tiffin]
        name = "scorer"
        model = "scorer.model"
        requirements = ["numpy"]

        [tool.tiffin.server]
        port = 8000
        max_body_size = "1MB"

        [tool.tiffin.environment]
        THREADS = 2
        """,
    )

    loaded = load_spec(tmp_path / "pkg")

    assert (loaded.source, loaded.root) == (source, source.parent)
    assert (loaded.spec.name, loaded.spec.model) == ("scorer", "scorer.model")
    assert loaded.spec.requirements == ["numpy"]
    assert (loaded.spec.server.port, loaded.spec.server.max_body_size) == (8000, 1_000_000)
    assert loaded.spec.environment == {"THREADS": "2"}


def test_pyproject_name_defaults_to_project_name(tmp_path: Path, write: WriteFile) -> None:
    source = write(
        "pkg/pyproject.toml",
        """
        [project]
        name = "churn_model"

        [tool.tiffin]
        version = 2
        """,
    )

    spec = load_spec(source).spec

    assert (spec.name, spec.version) == ("churn_model", "2")


def test_pyproject_without_project_name_uses_directory(tmp_path: Path, write: WriteFile) -> None:
    write("fraud/pyproject.toml", "[tool.tiffin]\n")

    assert load_spec(tmp_path / "fraud").spec.name == "fraud"


def test_pyproject_file_without_tool_tiffin(tmp_path: Path, write: WriteFile) -> None:
    source = write("pkg/pyproject.toml", '[project]\nname = "x"\n')

    with pytest.raises(SpecError) as caught:
        load_spec(source)

    assert str(caught.value) == f"{source}: has no [tool.tiffin] table"
    assert caught.value.hint and "[tool.tiffin]" in caught.value.hint


def test_single_py_file(tmp_path: Path, write: WriteFile) -> None:
    source = write("models/iris_model.py", "class Model: ...\n")

    loaded = load_spec(source)

    assert loaded.spec == ProjectSpec(name="iris_model", model="iris_model")
    assert (loaded.root, loaded.source) == (source.parent, source)


def test_py_file_name_is_sanitized(tmp_path: Path, write: WriteFile) -> None:
    source = write("_private.py", "class Model: ...\n")

    spec = load_spec(source).spec

    assert (spec.name, spec.model) == ("private", "_private")


def test_py_file_that_cannot_be_imported(tmp_path: Path, write: WriteFile) -> None:
    source = write("my-model.py", "class Model: ...\n")

    with pytest.raises(SpecError) as caught:
        load_spec(source)

    assert str(caught.value) == f"{source}: cannot be imported as a Python module"
    assert caught.value.hint == "rename it to my_model.py"


def test_directory_without_any_spec(tmp_path: Path, write: WriteFile) -> None:
    write("empty/pyproject.toml", '[project]\nname = "not-tiffin"\n')

    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "empty")

    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'empty'}: no tiffin spec here")
    assert "tiffin.yaml" in message and "[tool.tiffin]" in message
    assert caught.value.path == str(tmp_path / "empty")
    assert caught.value.hint == (
        "run `tiffin init NAME` to create one, or pass a .py file holding a model class"
    )


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such file or directory"):
        load_spec(tmp_path / "nowhere")


def test_unknown_file_type(tmp_path: Path, write: WriteFile) -> None:
    source = write("spec.json", "{}")

    with pytest.raises(SpecError, match="is not a tiffin spec") as caught:
        load_spec(source)

    assert caught.value.hint and ".py file" in caught.value.hint


@pytest.mark.parametrize(
    ("written", "image"),
    [('"3"', "3.11"), ("3", "3.11"), ('"3.11"', "3.11"), ('"3.11.7"', "3.11"),
     ('"3.12"', "3.12"), ('"3.6.6"', "3.10")],
)  # fmt: skip
def test_python_version_in_the_forms_users_write(
    tmp_path: Path, write: WriteFile, written: str, image: str
) -> None:
    write("pkg/tiffin.yaml", f"name: tiny\npython_version: {written}\n")

    spec = load_spec(tmp_path / "pkg").spec

    assert spec.python_version == written.strip('"')
    assert image_python(spec.python_version).version == image
