"""The model contract is checked once, at load, with errors that quote the user's code."""

from __future__ import annotations

import textwrap

import pytest

import tiffin
from tiffin.errors import ContractError, ModelLoadError


def write_model(tmp_path, source: str, name: str = "model.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def test_constructor_gets_only_the_arguments_it_names(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "w.txt").write_text("3")
    path = write_model(
        tmp_path,
        """
        class M:
            def __init__(self, model_dir, logger):
                self.scale = int((model_dir / "w.txt").read_text())
                self.logger = logger

            def predict(self, x):
                return [v * self.scale for v in x]
    """,
    )
    assert tiffin.load(path).predict([1, 2]) == [3, 6]


def test_kwargs_constructor_receives_everything(tmp_path):
    path = write_model(
        tmp_path,
        """
        class M:
            def __init__(self, **context):
                self.keys = sorted(context)

            def predict(self, x):
                return self.keys
    """,
    )
    assert tiffin.load(path).predict(None) == [
        "config",
        "data_dir",
        "logger",
        "model_dir",
        "secrets",
    ]


def test_spec_config_secrets_and_environment_reach_the_model(tmp_path, monkeypatch):
    monkeypatch.setenv("API_TOKEN", "s3cret")
    (tmp_path / "tiffin.yaml").write_text(
        textwrap.dedent("""
        name: configured
        model: m:M
        config: {threshold: 0.25}
        secrets: [API_TOKEN, NOT_SET]
        environment: {CONFIGURED_FLAG: "on"}
    """)
    )
    write_model(
        tmp_path,
        """
        import os

        class M:
            def __init__(self, config, secrets):
                self.config, self.secrets = config, secrets

            def predict(self, x):
                return [self.config, self.secrets, os.environ.get("CONFIGURED_FLAG")]
    """,
        "m.py",
    )
    monkeypatch.delenv("CONFIGURED_FLAG", raising=False)
    assert tiffin.load(tmp_path).predict(None) == [
        {"threshold": 0.25},
        {"API_TOKEN": "s3cret"},
        "on",
    ]


def test_constructor_asking_for_something_unknown_is_refused(tmp_path):
    path = write_model(
        tmp_path,
        """
        class M:
            def __init__(self, weights_path):
                pass

            def predict(self, x):
                return x
    """,
    )
    with pytest.raises(ContractError) as caught:
        tiffin.load(path)
    message = str(caught.value)
    assert "def M.__init__(self, weights_path)" in message
    assert "'weights_path'" in message
    assert "config, data_dir, model_dir, secrets, logger" in message
    assert "default value" in caught.value.hint


def test_load_with_arguments_is_refused(tmp_path):
    path = write_model(
        tmp_path,
        """
        class M:
            def load(self, path):
                pass

            def predict(self, x):
                return x
    """,
    )
    with pytest.raises(ContractError, match=r"def M.load\(self, path\)"):
        tiffin.load(path)


def test_module_without_a_model_class(tmp_path):
    path = write_model(tmp_path, "VALUE = 1\n")
    with pytest.raises(ContractError, match="no model class found"):
        tiffin.load(path)


def test_module_with_two_model_classes_asks_to_name_one(tmp_path):
    path = write_model(
        tmp_path,
        """
        class A:
            def predict(self, x):
                return x

        class B:
            def predict(self, x):
                return x
    """,
    )
    with pytest.raises(ContractError) as caught:
        tiffin.load(path)
    assert "A, B" in str(caught.value)
    assert "model: model:A" in caught.value.hint


def test_syntax_error_names_file_and_line(tmp_path):
    path = write_model(tmp_path, "class M:\n    def predict(self, x)\n        return x\n")
    with pytest.raises(ModelLoadError, match=r"model.py:2"):
        tiffin.load(path)


def test_missing_attribute_lists_what_is_there(tmp_path):
    (tmp_path / "tiffin.yaml").write_text("name: x\nmodel: m:Missing\n")
    write_model(tmp_path, "class Present:\n    def predict(self, x):\n        return x\n", "m.py")
    with pytest.raises(ContractError) as caught:
        tiffin.load(tmp_path)
    assert "has no attribute 'Missing'" in str(caught.value)
    assert "Present" in caught.value.hint


def test_initializer_taking_arguments_is_refused(tmp_path):
    (tmp_path / "tiffin.yaml").write_text("name: x\nmodel: f:predict\ninitialize: f:init\n")
    write_model(tmp_path, "def init(path):\n    pass\n\ndef predict(p):\n    return p\n", "f.py")
    with pytest.raises(ContractError, match=r"def init\(path\).*must take no arguments"):
        tiffin.load(tmp_path)


def test_async_pipeline_runs_in_process(tmp_path):
    path = write_model(
        tmp_path,
        """
        class M:
            async def load(self):
                self.offset = 10

            async def predict(self, x):
                return x + self.offset
    """,
    )
    assert tiffin.load(path).predict(5) == 15


def test_public_api_does_not_drift():
    assert sorted(tiffin.__all__) == [
        "ModelHandle",
        "Package",
        "__version__",
        "build_image",
        "errors",
        "load",
        "package",
    ]
