"""Shared checks for the framework adapter tests: render, load fresh, serve, compare.

Every end-to-end check runs the package where the original object never
existed: a fresh interpreter (``tiffin.load``) and a real ``tiffin serve``.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import yaml

from servers import start_server
from tiffin.frameworks import Framework, SavedArtifact

HERE = Path(__file__).resolve().parent

os.environ.setdefault("KERAS_BACKEND", "torch")  # keras reads it once, at its first import

FRESH_PREDICT = textwrap.dedent(
    """
    import json, sys
    import tiffin
    from tiffin.codecs import dumps
    result = tiffin.load(sys.argv[1]).predict(json.loads(sys.argv[2]))
    sys.stdout.buffer.write(dumps(result))
    """
)


def need(module: str) -> ModuleType:
    """Import ``module``; skip when it is missing locally, but fail in CI (the test extras
    install every framework there, so a missing one is a broken setup, not a skip)."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(
        module, reason=f"{module} is not installed: pip install -e '.[test]'"
    )


def assert_detection_imports_nothing(adapter_module: str, framework_module: str) -> None:
    """In a fresh interpreter, detecting a non-model must not import the framework."""
    code = (
        f"import sys, tiffin.frameworks.{adapter_module} as adapter\n"
        "from tiffin.frameworks import registered_frameworks\n"
        "assert not any(cls.detects(object()) for cls in registered_frameworks())\n"
        f"print({framework_module!r} in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def render_class(
    framework: Framework, artifact: SavedArtifact, framework_module: str, class_name: str = "Model"
) -> str:
    """The generated class source, checked to compile and to be the plain expected shape."""
    source = framework.model_class_source(artifact, class_name=class_name)
    compile(source, "model.py", "exec")
    assert f"class {class_name}:" in source
    assert "def load(self) -> None:" in source
    assert "def preprocess(self, inputs):" in source and "def predict(self, " in source
    assert re.search(rf"^import {framework_module}\b", source, re.MULTILINE)  # used directly
    assert "read_artifact(" in source and "require(" in source  # clear errors, version check
    return source


def run_class(source: str, model_dir: Path, inputs: Any, class_name: str = "Model") -> Any:
    """Execute the generated class source and run its pipeline once, in this process."""
    namespace: dict[str, Any] = {}
    exec(compile(source, str(model_dir / "model.py"), "exec"), namespace)
    model = namespace[class_name](model_dir)
    model.load()
    result = model.preprocess(inputs)
    for stage in ("predict", "postprocess"):
        result = getattr(model, stage)(result)
    return result


def package_name(package: Path) -> str:
    """The model name a package is served under (its tiffin.yaml ``name``)."""
    return yaml.safe_load((package / "tiffin.yaml").read_text())["name"]


def predict_fresh(package: Path, rows: Any, env: dict[str, str] | None = None) -> Any:
    """``tiffin.load(package).predict(rows)`` in a new interpreter, decoded from JSON."""
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PREDICT, str(package), _json(rows)],
        capture_output=True,
        env={**os.environ, **(env or {})},
        cwd=package.parent,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    import orjson

    return orjson.loads(done.stdout)


def predict_served(
    package: Path, rows: Any, tmp_path: Path, env: dict[str, str] | None = None
) -> tuple[Any, dict[str, np.ndarray]]:
    """``(V1 response body, V2 outputs by name)`` from a real ``tiffin serve`` of ``package``."""
    name = package_name(package)
    array = np.asarray(rows, dtype=np.float64)
    tensor = {"name": "input-0", "datatype": "FP64", "shape": list(array.shape)}
    server = start_server(package, tmp_path, env=env)
    try:
        server.wait_ready(timeout=120)
        v1 = server.client.post(f"/v1/models/{name}:predict", json={"instances": rows})
        v2 = server.client.post(
            f"/v2/models/{name}/infer",
            json={"inputs": [{**tensor, "data": array.ravel().tolist()}]},
        )
    finally:
        server.stop()
    assert v1.status_code == 200, (v1.text, server.log)
    assert v2.status_code == 200, (v2.text, server.log)
    outputs = {out["name"]: _tensor(out) for out in v2.json()["outputs"]}
    return v1.json(), outputs


def check_package(
    package: Path,
    rows: list[list[float]],
    expected: Any,
    tmp_path: Path,
    env: dict[str, str] | None = None,
) -> None:
    """The package predicts ``expected`` in a fresh interpreter, and over V1 and V2."""
    assert_same(predict_fresh(package, rows, env), expected)
    v1, v2 = predict_served(package, rows, tmp_path, env)
    if isinstance(expected, dict) and "predictions" in expected:
        assert_same(v1, expected)  # a result with "predictions" is the V1 body as it is
    else:
        assert_same(v1["predictions"], expected)
    if isinstance(expected, dict):
        assert_same(v2, expected)
    else:
        assert len(v2) == 1, v2
        assert_same(next(iter(v2.values())), expected)


def assert_same(actual: Any, expected: Any) -> None:
    """Equal labels and allclose numbers, through dicts of arrays."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and set(actual) == set(expected), (actual, expected)
        for key, value in expected.items():
            assert_same(actual[key], value)
        return
    expected = np.asarray(expected)
    actual = np.asarray(actual)
    assert actual.shape == expected.shape or actual.size == expected.size == 0, (
        actual.shape,
        expected.shape,
    )
    if expected.dtype.kind in "fc":
        np.testing.assert_allclose(actual.astype(float), expected, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(actual.astype(expected.dtype), expected)


def _tensor(output: dict[str, Any]) -> np.ndarray:
    return np.asarray(output["data"]).reshape(output["shape"])


def _json(value: Any) -> str:
    import orjson

    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode()
