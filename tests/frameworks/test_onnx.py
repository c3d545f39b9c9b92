"""The ONNX adapter: ModelProto, bytes or .onnx paths, run by onnxruntime, outputs by name."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_frameworks import (
    assert_detection_imports_nothing,
    assert_same,
    check_package,
    need,
    render_class,
    run_class,
)

from tiffin.errors import ModelLoadError, PackagingError
from tiffin.frameworks import detect_framework, framework_for_file, get_framework

onnx = need("onnx")
onnxruntime = need("onnxruntime")
skl2onnx = need("skl2onnx")
datasets = need("sklearn.datasets")
linear_model = need("sklearn.linear_model")


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    return datasets.load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def classifier(iris):
    return linear_model.LogisticRegression(max_iter=500).fit(*iris)


@pytest.fixture(scope="module")
def proto(classifier, iris):
    """The classifier in ONNX, with a probabilities tensor (no ZipMap)."""
    sample = iris[0][:1].astype(np.float32)
    return skl2onnx.to_onnx(classifier, sample, options={"zipmap": False})


@pytest.fixture(scope="module")
def rows(iris) -> list[list[float]]:
    return iris[0][::15].tolist()


def expected_outputs(proto, rows) -> dict[str, np.ndarray]:
    session = onnxruntime.InferenceSession(proto.SerializeToString())
    label, probabilities = session.run(None, {"X": np.asarray(rows, dtype=np.float32)})
    return {"label": label, "probabilities": probabilities}


def test_detection(proto, tmp_path) -> None:
    assert detect_framework(proto).name == "onnx"
    assert detect_framework(tmp_path / "model.onnx").name == "onnx"
    assert not get_framework("onnx").detects("model.txt")
    assert_detection_imports_nothing("onnx_adapter", "onnx")


def test_class_returns_every_output_by_name(proto, classifier, rows, tmp_path) -> None:
    adapter = get_framework("onnx")
    artifact = adapter.save(proto, tmp_path, probabilities=False)
    assert artifact.options["input_names"] == ["X"]
    assert artifact.options["output_names"] == ["label", "probabilities"]
    source = render_class(adapter, artifact, "onnxruntime")
    assert "onnxruntime.InferenceSession(str(path)" in source
    result = run_class(source, tmp_path, rows)
    assert_same(result, expected_outputs(proto, rows))
    assert_same(result["label"], classifier.predict(rows))
    np.testing.assert_allclose(result["probabilities"], classifier.predict_proba(rows), atol=1e-5)
    assert adapter.requirements(proto) == ["onnxruntime", "numpy"]


def test_bytes_paths_and_named_inputs(proto, rows, tmp_path) -> None:
    adapter = get_framework("onnx")
    (tmp_path / "given.onnx").write_bytes(proto.SerializeToString())
    for model in (proto.SerializeToString(), tmp_path / "given.onnx", str(tmp_path / "given.onnx")):
        artifact = adapter.save(model, tmp_path, probabilities=False)
        source = render_class(adapter, artifact, "onnxruntime")
        assert_same(run_class(source, tmp_path, {"X": rows}), expected_outputs(proto, rows))


def test_probabilities_are_refused_as_every_output_is_returned(proto, tmp_path) -> None:
    with pytest.raises(PackagingError, match="every output of the graph"):
        get_framework("onnx").save(proto, tmp_path, probabilities=True)


def test_onnx_files_can_be_packaged_from_the_shell(proto, tmp_path) -> None:
    (tmp_path / "model.onnx").write_bytes(proto.SerializeToString())
    adapter = framework_for_file(tmp_path / "model.onnx")
    assert adapter is not None and adapter.name == "onnx"
    assert adapter.load_file(tmp_path / "model.onnx") == proto
    (tmp_path / "broken.onnx").write_bytes(proto.SerializeToString()[:-40])
    with pytest.raises(ModelLoadError, match=r"broken\.onnx"):
        adapter.load_file(tmp_path / "broken.onnx")


@pytest.mark.slow
def test_package_predicts_and_serves_every_output(proto, rows, tmp_path) -> None:
    import tiffin

    package = tiffin.package(proto, tmp_path / "pkg").path
    check_package(package, rows, expected_outputs(proto, rows), tmp_path)
