"""The Keras adapter: the .keras format, served on the torch backend."""

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

need("torch")
keras = need("keras")  # on the torch backend: helpers_frameworks sets KERAS_BACKEND

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    """A tiny synthetic regression: y = x . w + noise."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(64, 4))
    return features, features @ np.array([1.5, -2.0, 0.5, 1.0]) + rng.normal(0, 0.1, 64)


@pytest.fixture(scope="module")
def net(data):
    """A small Dense regression network, trained for a few seeded epochs."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(*data, epochs=5, batch_size=16, verbose=0)
    return model


@pytest.fixture(scope="module")
def rows(data) -> list[list[float]]:
    return data[0][:5].tolist()


def test_detection_prefers_keras_to_torch(net) -> None:
    assert keras.backend.backend() == "torch"
    assert detect_framework(net).name == "keras"  # a torch module too, on this backend
    assert not get_framework("torch").detects(net)
    assert_detection_imports_nothing("keras_adapter", "keras")


def test_class_sets_the_backend_before_importing_keras(net, rows, tmp_path) -> None:
    adapter = get_framework("keras")
    artifact = adapter.save(net, tmp_path, probabilities=False)
    assert artifact.files == ("model.keras",) and (tmp_path / "model.keras").is_file()
    source = render_class(adapter, artifact, "keras")
    backend_line = 'os.environ.setdefault("KERAS_BACKEND", "torch")'
    assert source.index(backend_line) < source.index("import keras")
    assert 'require("torch", ' in source and "keras.saving.load_model(path)" in source
    assert_same(run_class(source, tmp_path, rows), net.predict(np.asarray(rows), verbose=0))
    assert adapter.requirements(net) == ["keras", "torch", "numpy"]


def test_probabilities_are_refused_as_the_output_is_returned_as_it_is(net, tmp_path) -> None:
    with pytest.raises(PackagingError, match="model's output as it is"):
        get_framework("keras").save(net, tmp_path, probabilities=True)


def test_keras_files_can_be_packaged_from_the_shell(net, rows, tmp_path) -> None:
    net.save(tmp_path / "net.keras")
    adapter = framework_for_file(tmp_path / "net.keras")
    assert adapter is not None and adapter.name == "keras"
    loaded = adapter.load_file(tmp_path / "net.keras")
    assert_same(
        loaded.predict(np.asarray(rows), verbose=0), net.predict(np.asarray(rows), verbose=0)
    )
    (tmp_path / "broken.keras").write_bytes((tmp_path / "net.keras").read_bytes()[:100])
    with pytest.raises(ModelLoadError, match=r"broken\.keras"):
        adapter.load_file(tmp_path / "broken.keras")


@pytest.mark.slow
def test_package_predicts_and_serves_like_the_network(net, rows, tmp_path) -> None:
    import tiffin

    package = tiffin.package(net, tmp_path / "pkg").path
    pinned = (package / "requirements.txt").read_text()
    for distribution in ("keras", "torch", "numpy"):  # torch: the backend the class sets
        assert f"\n{distribution}==" in pinned, pinned
    check_package(package, rows, net.predict(np.asarray(rows), verbose=0), tmp_path)
