"""The PyTorch adapter: TorchScript, or a state_dict plus the module's importable class."""

from __future__ import annotations

import warnings

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

torch = need("torch")
datasets = need("sklearn.datasets")

from torch_nets import KeywordNet, TinyNet  # noqa: E402  (needs torch)

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")


def train(net: torch.nn.Module, steps: int = 60) -> torch.nn.Module:
    """Fit ``net`` on iris for a few full-batch steps; seeded, so the result is fixed."""
    torch.manual_seed(0)
    features, target = datasets.load_iris(return_X_y=True)
    inputs, labels = torch.tensor(features, dtype=torch.float32), torch.tensor(target)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.nll_loss(torch.log(net(inputs)), labels).backward()
        optimizer.step()
    return net.eval()


@pytest.fixture(scope="module")
def net() -> TinyNet:
    torch.manual_seed(0)
    return train(TinyNet())


@pytest.fixture(scope="module")
def keyword_net() -> KeywordNet:
    torch.manual_seed(1)
    return train(KeywordNet())


@pytest.fixture(scope="module")
def rows() -> list[list[float]]:
    return datasets.load_iris().data[::15].tolist()


def outputs_of(net: torch.nn.Module, rows: list[list[float]]) -> np.ndarray:
    with torch.no_grad():
        return net(torch.tensor(rows, dtype=torch.float32)).numpy()


def test_detection(net) -> None:
    assert detect_framework(net).name == "torch"
    assert detect_framework(torch.jit.trace(net, torch.zeros(1, 4))).name == "torch"
    assert_detection_imports_nothing("torch_adapter", "torch")


def test_a_scriptable_module_is_saved_as_torchscript(net, rows, tmp_path) -> None:
    adapter = get_framework("torch")
    artifact = adapter.save(net, tmp_path, probabilities=False)
    assert artifact.files == ("model.pt",) and artifact.options["file_format"] == "torchscript"
    source = render_class(adapter, artifact, "torch")
    assert "torch.jit.load(path" in source and "torch_nets" not in source
    assert_same(run_class(source, tmp_path, rows), outputs_of(net, rows))
    assert adapter.requirements(net) == ["torch", "numpy"]


def test_a_traced_module_is_saved_as_it_is(keyword_net, rows, tmp_path) -> None:
    traced = torch.jit.trace(keyword_net, torch.zeros(1, 4))
    adapter = get_framework("torch")
    artifact = adapter.save(traced, tmp_path, probabilities=False)
    assert artifact.options["file_format"] == "torchscript"
    assert_same(
        run_class(render_class(adapter, artifact, "torch"), tmp_path, rows),
        outputs_of(keyword_net, rows),
    )


def test_a_module_that_cannot_be_scripted_is_saved_as_a_state_dict(keyword_net, rows, tmp_path):
    adapter = get_framework("torch")
    with pytest.warns(UserWarning, match=r"state_dict.*torch_nets\.KeywordNet importable"):
        artifact = adapter.save(keyword_net, tmp_path, probabilities=False)
    assert artifact.files == ("state_dict.pt",)
    source = render_class(adapter, artifact, "torch")
    assert "from torch_nets import KeywordNet\n" in source and "module = KeywordNet()" in source
    assert "load_state_dict(torch.load(path" in source
    assert_same(run_class(source, tmp_path, rows), outputs_of(keyword_net, rows))


def test_state_dict_can_be_asked_for(net, rows, tmp_path) -> None:
    adapter = get_framework("torch")
    with pytest.warns(UserWarning, match="state_dict"):
        artifact = adapter.save(net, tmp_path, probabilities=False, file_format="state_dict")
    assert artifact.options["qualname"] == "TinyNet"
    assert_same(
        run_class(render_class(adapter, artifact, "torch"), tmp_path, rows), outputs_of(net, rows)
    )


def test_a_class_that_cannot_be_imported_nor_scripted_is_refused(tmp_path) -> None:
    class LocalNet(KeywordNet):
        pass

    with pytest.raises(PackagingError, match=r"cannot be imported as .*LocalNet") as raised:
        get_framework("torch").save(LocalNet(), tmp_path, probabilities=False)
    assert "torch.jit.trace(model, example_input)" in (raised.value.hint or "")
    with pytest.raises(PackagingError, match="cannot script KeywordNet to TorchScript"):
        get_framework("torch").save(
            KeywordNet(), tmp_path, probabilities=False, file_format="torchscript"
        )


def test_probabilities_are_refused_as_the_output_is_returned_as_it_is(net, tmp_path) -> None:
    with pytest.raises(PackagingError, match="module's output as it is"):
        get_framework("torch").save(net, tmp_path, probabilities=True)


def test_only_torchscript_files_can_be_packaged_from_the_shell(net, rows, tmp_path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(net), str(tmp_path / "net.pt"))
    torch.save(net.state_dict(), tmp_path / "weights.pth")
    adapter = framework_for_file(tmp_path / "net.pt")
    assert adapter is not None and adapter.name == "torch"
    assert_same(outputs_of(adapter.load_file(tmp_path / "net.pt"), rows), outputs_of(net, rows))
    with pytest.raises(ModelLoadError, match=r"weights\.pth is not a TorchScript file"):
        adapter.load_file(tmp_path / "weights.pth")


@pytest.mark.slow
def test_torchscript_package_predicts_and_serves_like_the_module(net, rows, tmp_path) -> None:
    import tiffin

    package = tiffin.package(net, tmp_path / "pkg").path
    check_package(package, rows, outputs_of(net, rows), tmp_path)


@pytest.mark.slow
def test_state_dict_package_predicts_and_serves_like_the_module(keyword_net, rows, tmp_path):
    import tiffin

    with pytest.warns(UserWarning, match="state_dict"):
        package = tiffin.package(keyword_net, tmp_path / "pkg").path
    # torch_nets is no installed distribution: tiffin.package copies it next to serving.py,
    # so the fresh interpreter and the server import KeywordNet from the package itself.
    assert (package / "torch_nets.py").is_file()
    check_package(package, rows, outputs_of(keyword_net, rows), tmp_path)
