"""Fixtures of the image tests: a recording engine, tiny packages, and for the end-to-end
tests (marker ``container``) podman, a built iris image, a local registry and podman's
Docker-compatible socket. The end-to-end tests skip, saying why, without podman or the
base image; CI provisions both (scripts/test.sh runs scripts/provision-containers.sh).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from imagetests import (
    BASE_IMAGE,
    RUN_ID,
    image_names,
    image_tag,
    podman,
    remove_leftovers,
    wait_for_ping,
)

from servers import EXAMPLES, free_port
from tiffin.build.engines.fake import RecordingEngine


@pytest.fixture(scope="session", autouse=True)
def tiffin_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One wheel cache and build-log directory for the whole session, out of the user's home."""
    directory = tmp_path_factory.mktemp("tiffin-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIFFIN_CACHE_DIR", str(directory))
        patch.delenv("TIFFIN_BASE_IMAGE", raising=False)
        patch.delenv("TIFFIN_ENGINE", raising=False)
        yield directory


@pytest.fixture
def fake_engine() -> RecordingEngine:
    return RecordingEngine()


@pytest.fixture
def tiny_package(tmp_path: Path) -> Path:
    """A package with one small model class and no requirements."""
    root = tmp_path / "tiny"
    root.mkdir()
    (root / "tiffin.yaml").write_text("name: tiny\nmodel: tiny_model:Tiny\n")
    (root / "tiny_model.py").write_text(
        "class Tiny:\n    def predict(self, rows):\n        return [sum(r) for r in rows]\n"
    )
    return root


@pytest.fixture
def baklava_project(tmp_path: Path) -> Path:
    """A copy of examples/baklava_functions (setup.py writes egg-info and dist/ into it)."""
    target = tmp_path / "baklava_functions"
    shutil.copytree(
        EXAMPLES / "baklava_functions",
        target,
        ignore=shutil.ignore_patterns("*.egg-info", "dist", "build"),
    )
    return target


# --- end-to-end: real images with podman ------------------------------------------------


def why_no_podman() -> str | None:
    """Why the end-to-end tests cannot run here, or None."""
    if shutil.which("podman") is None:
        return "podman is not installed (CI provisions it: bash scripts/provision-containers.sh)"
    if podman("image", "exists", BASE_IMAGE, check=False).returncode != 0:
        return f"the base image {BASE_IMAGE} is missing (run scripts/provision-containers.sh)"
    return None


@pytest.fixture(scope="session")
def podman_ready() -> Iterator[str]:
    """The base image, once podman is known to work; removes leftovers of this test run."""
    reason = why_no_podman()
    if reason:
        pytest.skip(reason)
    before = set(image_names())
    yield BASE_IMAGE
    remove_leftovers(before)


@pytest.fixture(scope="session")
def iris_image(podman_ready: str, iris_package: Path) -> Iterator[str]:
    """The iris example built once, hermetically, for every end-to-end test."""
    from tiffin.build.builder import build_image

    tag = image_tag("iris")
    build_image(iris_package, tag=tag, engine="podman", hermetic=True, base_image=podman_ready)
    yield tag
    podman("rmi", "--force", tag, check=False)


@pytest.fixture(scope="session")
def iris_container(iris_image: str) -> Iterator[str]:
    """The iris image serving on 127.0.0.1; yields its base URL."""
    port = free_port()
    name = f"tiffin-test-iris-{RUN_ID}"
    podman(
        "run", "--detach", "--rm", "--name", name, "--publish", f"127.0.0.1:{port}:8080", iris_image
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_ping(url)
        yield url
    finally:
        podman("rm", "--force", name, check=False)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory, podman_ready: str) -> Iterator[str]:
    """Debian's docker-registry on 127.0.0.1 with its own config; yields host:port."""
    binary = shutil.which("docker-registry")
    if binary is None:
        pytest.skip("docker-registry is not installed (apt-get install -y docker-registry)")
    directory = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = directory / "config.yml"
    config.write_text(
        "version: 0.1\n"
        f"storage: {{filesystem: {{rootdirectory: {directory / 'data'}}}, "
        "delete: {enabled: true}}\n"
        f"http: {{addr: 127.0.0.1:{port}}}\n"
    )
    log = (directory / "registry.log").open("w")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log)
    try:
        wait_for_port(port, process)
        yield f"127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
        log.close()


@pytest.fixture(scope="session")
def docker_socket(tmp_path_factory: pytest.TempPathFactory, podman_ready: str) -> Iterator[str]:
    """podman's Docker-compatible API on a unix socket; yields the DOCKER_HOST value."""
    if shutil.which("docker") is None:
        pytest.skip("no docker client (apt-get install -y podman-docker)")
    socket_path = tmp_path_factory.mktemp("podman-socket") / "podman.sock"
    host = f"unix://{socket_path}"
    process = subprocess.Popen(
        ["podman", "system", "service", "--time=0", host],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not socket_path.exists():
            assert process.poll() is None, "podman system service exited"
            assert time.monotonic() < deadline, "podman's socket did not appear"
            time.sleep(0.05)
        yield host
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server on port {port} exited"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port} after {timeout}s")
