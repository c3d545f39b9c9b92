"""What a user sees when a spec is wrong: file, line, key, and a way out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tiffin.errors import SpecError
from tiffin.spec import load_spec

WriteFile = Callable[[str, str], Path]


def load_error(path: Path) -> SpecError:
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    return caught.value


def test_unknown_top_level_key_suggests_the_right_one(write: WriteFile) -> None:
    source = write(
        "pkg/tiffin.yaml",
        """
        name: iris
        servr:
          port: 9000
        """,
    )

    error = load_error(source.parent)

    assert str(error) == f"{source}:2: servr: unknown key; did you mean 'server'?"
    assert (error.path, error.line, error.key) == (str(source), 2, "servr")
    assert error.hint == "did you mean 'server'?"


def test_unknown_nested_key_suggests_the_right_one(write: WriteFile) -> None:
    source = write(
        "pkg/tiffin.yaml",
        """
        name: iris
        server:
          port: 9000

          workres: 4
        """,
    )

    error = load_error(source)

    assert str(error) == f"{source}:5: server.workres: unknown key; did you mean 'workers'?"
    assert (error.line, error.key, error.hint) == (5, "server.workres", "did you mean 'workers'?")


def test_unknown_key_without_a_close_match_lists_the_allowed_ones(write: WriteFile) -> None:
    source = write("pkg/tiffin.yaml", "name: iris\nserver:\n  zzz: 1\n")

    error = load_error(source)

    assert str(error).startswith(f"{source}:3: server.zzz: unknown key; allowed keys here are: ")
    assert "host, port, workers" in str(error)
    assert error.hint is None


def test_bad_type_names_key_line_and_value(write: WriteFile) -> None:
    source = write("pkg/tiffin.yaml", "name: iris\nserver:\n  port: abc\n")

    error = load_error(source)

    assert str(error) == (
        f"{source}:3: server.port: Input should be a valid integer, "
        "unable to parse string as an integer (got 'abc')"
    )
    assert (error.line, error.key) == (3, "server.port")
    assert "pydantic" not in str(error)


def test_every_problem_is_listed_in_file_order(write: WriteFile) -> None:
    source = write(
        "pkg/tiffin.yaml",
        """
        name: iris
        server:
          port: 70000
          log_level: loud
        requirements:
          - numpy
          - 3
        modle: model:Iris
        """,
    )

    error = load_error(source)

    assert str(error).splitlines() == [
        f"{source}:3: server.port: Input should be less than or equal to 65535 (got 70000)",
        f"{source}:4: server.log_level: Input should be 'critical', 'error', 'warning', "
        "'info' or 'debug' (got 'loud')",
        f"{source}:7: requirements[1]: Input should be a valid string (got 3)",
        f"{source}:8: modle: unknown key; did you mean 'model'?",
    ]
    assert (error.line, error.key) == (3, "server.port")
    assert error.hint == "did you mean 'model'?"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("name: -iris", "name: '-iris' is not a valid name"),
        ("name: my model", "name: 'my model' is not a valid name"),
        ("model: models/iris.py", "model: 'models/iris.py' should look like 'module:ClassName'"),
        ("initialize: setup", "initialize: 'setup' should look like 'module:function'"),
        ("python_version: 3.10", 'python_version: write the version in quotes, e.g. "3.11"'),
        ("python_version: '2.7'", "python_version: '2.7' should look like \"3.11\""),
        ("python_version: '3.x'", "python_version: '3.x' should look like \"3.11\""),
        ("secrets: [HF-TOKEN]", "secrets[0]: 'HF-TOKEN' is not an environment variable name"),
        ("server: {max_body_size: 12 parsecs}", "server.max_body_size: '12 parsecs' is not a size"),
        ("server: {worker_class: uvicron}", "server.worker_class: 'uvicron' is not 'uvicorn'"),
        ("server: {timeout: 0}", "server.timeout: Input should be greater than 0"),
    ],
)
def test_invalid_values(write: WriteFile, line: str, message: str) -> None:
    source = write("pkg/tiffin.yaml", f"description: x\n{line}\n")

    error = load_error(source)

    assert str(error).startswith(f"{source}:2: {message}")


def test_yaml_syntax_error_has_its_line(write: WriteFile) -> None:
    source = write(
        "pkg/tiffin.yaml",
        """
        name: iris
        server:
          port: 9000
         workers: 2
        """,
    )

    error = load_error(source)

    assert str(error).startswith(f"{source}:4: invalid YAML: ")
    assert error.line == 4
    assert error.hint and "indentation" in error.hint


def test_key_written_twice(write: WriteFile) -> None:
    source = write("pkg/tiffin.yaml", "name: a\nserver:\n  port: 1\n  port: 2\n")

    error = load_error(source)

    assert str(error) == f"{source}:4: server.port: written twice (first on line 3)"


@pytest.mark.parametrize(
    ("text", "kind"), [("- name: iris\n", "a list"), ("just words\n", "a single text value")]
)
def test_top_level_must_be_a_mapping(write: WriteFile, text: str, kind: str) -> None:
    source = write("pkg/tiffin.yaml", text)

    error = load_error(source)

    assert str(error) == (
        f"{source}: the top level must be a mapping of keys such as 'name: my-model', not {kind}"
    )


def test_pyproject_problems_have_lines(write: WriteFile) -> None:
    source = write(
        "pkg/pyproject.toml",
        """
        [project]
        name = "iris"
        model = "not-checked-here"

        [tool.tiffin]
        requirements = [
          "scikit-learn==1.5",
          "pandas[excel]>=2",
        ]
        modle = "model:Iris"

        [tool.tiffin.server]
        port = 70000
        """,
    )

    error = load_error(source.parent)

    assert str(error).splitlines() == [
        f"{source}:10: modle: unknown key; did you mean 'model'?",
        f"{source}:13: server.port: Input should be less than or equal to 65535 (got 70000)",
    ]
    assert (error.line, error.key) == (10, "modle")


def test_pyproject_inline_and_dotted_keys_have_lines(write: WriteFile) -> None:
    source = write(
        "pkg/pyproject.toml",
        """
        [tool.tiffin]
        name = "iris"
        server = { port = "abc" }
        environment.DEBUG = []
        """,
    )

    error = load_error(source)

    assert [line.split(": ")[0:2] for line in str(error).splitlines()] == [
        [f"{source}:3", "server.port"],
        [f"{source}:4", "environment.DEBUG"],
    ]


def test_pyproject_non_table(write: WriteFile) -> None:
    source = write("pkg/pyproject.toml", '[tool]\ntiffin = "iris"\n')

    error = load_error(source)

    assert "the top level must be a mapping" in str(error)


def test_toml_syntax_error_has_its_line(write: WriteFile) -> None:
    source = write("pkg/pyproject.toml", '[tool.tiffin]\nname = "iris"\nport = \n')

    error = load_error(source)

    assert str(error).startswith(f"{source}:3: invalid TOML: ")
    assert "(at line" not in str(error)
    assert error.line == 3
