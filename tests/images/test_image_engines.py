"""Engine selection and the translation of failed builds, with recorded engine output."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from servers import FIXTURES
from tiffin.build.engines import select_engine
from tiffin.build.engines.base import Mount, RunOptions
from tiffin.build.engines.buildah import BuildahEngine
from tiffin.build.engines.docker import BuildxEngine, DockerEngine
from tiffin.build.engines.podman import PodmanEngine
from tiffin.build.failures import explain_build_failure
from tiffin.build.plan import BuildOptions, plan_package
from tiffin.build.process import Completed
from tiffin.build.steps import failing_step, parse_step
from tiffin.cli.errors import flag
from tiffin.errors import BaseImageUnavailable, BuildError, EngineNotFound
from tiffin.spec import LoadedSpec, ProjectSpec

OUTPUTS = FIXTURES / "build" / "outputs"


class FakeRunner:
    """Answers commands from a table of argv prefixes; records every call."""

    def __init__(self, answers: Mapping[tuple[str, ...], tuple[int, Sequence[str]]]) -> None:
        self.answers = answers
        self.calls: list[tuple[list[str], dict[str, str] | None]] = []

    def __call__(self, argv, *, env=None, cwd=None, on_line=None) -> Completed:
        self.calls.append((list(argv), dict(env) if env else None))
        for prefix, (code, lines) in self.answers.items():
            if tuple(argv[: len(prefix)]) == prefix:
                return Completed(tuple(argv), code, tuple(lines))
        return Completed(tuple(argv), 1, ("not answered",))


def installed(*names: str) -> Callable[[str], str | None]:
    return lambda name: f"/usr/bin/{name}" if name in names else None


DOCKER_UP = {("/usr/bin/docker", "version"): (0, ["28.2.2 Engine;containerd;"])}
DOCKER_ON_PODMAN = {("/usr/bin/docker", "version"): (0, ["4.3.1 Podman Engine;Conmon;"])}
DOCKER_DOWN = {("/usr/bin/docker", "version"): (1, ["Cannot connect to the Docker daemon"])}
BUILDX = {("/usr/bin/docker", "buildx", "version"): (0, ["github.com/docker/buildx v0.24"])}


def test_no_engine_names_all_three_and_the_local_alternative() -> None:
    with pytest.raises(EngineNotFound) as caught:
        select_engine(environ={}, runner=FakeRunner({}), which=installed())
    message = f"{caught.value.message} {caught.value.hint}"
    for word in ("docker", "podman", "buildah", "tiffin serve"):
        assert word in message


def test_auto_prefers_a_running_docker_then_podman_then_buildah() -> None:
    runner = FakeRunner(DOCKER_DOWN)
    engine = select_engine(environ={}, runner=runner, which=installed("docker", "podman"))
    assert isinstance(engine, PodmanEngine)
    engine = select_engine(environ={}, runner=runner, which=installed("buildah"))
    assert isinstance(engine, BuildahEngine)
    engine = select_engine(environ={}, runner=FakeRunner(DOCKER_UP), which=installed("docker"))
    assert type(engine) is DockerEngine


def test_auto_uses_buildx_with_a_real_docker_daemon_only() -> None:
    which = installed("docker")
    engine = select_engine(environ={}, runner=FakeRunner({**DOCKER_UP, **BUILDX}), which=which)
    assert isinstance(engine, BuildxEngine)
    engine = select_engine(
        environ={}, runner=FakeRunner({**DOCKER_ON_PODMAN, **BUILDX}), which=which
    )
    assert type(engine) is DockerEngine


def test_engine_named_by_flag_or_variable() -> None:
    which = installed("docker", "podman", "buildah")
    runner = FakeRunner(DOCKER_UP)
    assert isinstance(
        select_engine("buildah", environ={}, runner=runner, which=which), BuildahEngine
    )
    environ = {"TIFFIN_ENGINE": "podman"}
    assert isinstance(select_engine(environ=environ, runner=runner, which=which), PodmanEngine)


def test_named_engine_that_cannot_be_used_says_why() -> None:
    with pytest.raises(EngineNotFound, match="'podman' cannot be used: `podman` is not installed"):
        select_engine("podman", environ={}, runner=FakeRunner({}), which=installed("docker"))
    with pytest.raises(EngineNotFound, match="docker daemon does not answer"):
        select_engine(
            "docker", environ={}, runner=FakeRunner(DOCKER_DOWN), which=installed("docker")
        )
    with pytest.raises(EngineNotFound, match="unknown engine; use one of docker, buildx"):
        select_engine("kaniko", environ={}, runner=FakeRunner({}), which=installed())


def test_build_commands(tmp_path: Path) -> None:
    runner = FakeRunner({(): (0, ["done"])})
    which = installed("docker", "podman", "buildah")
    PodmanEngine(runner=runner, which=which).build(tmp_path, "iris:1", no_cache=True)
    BuildahEngine(runner=runner, which=which).build(tmp_path, "iris:1")
    (podman, _), (buildah, _) = runner.calls
    assert podman[:7] == [
        "/usr/bin/podman",
        "build",
        "--no-cache",
        "--format",
        "docker",
        "--layers",
        "--force-rm",
    ]
    assert buildah[:2] == ["/usr/bin/buildah", "build"] and "--tag" in buildah


def test_docker_on_podman_uses_the_classic_builder(tmp_path: Path) -> None:
    runner = FakeRunner({**DOCKER_ON_PODMAN, ("/usr/bin/docker", "build"): (0, ["ok"])})
    DockerEngine(runner=runner, which=installed("docker")).build(tmp_path, "iris:1")
    argv, env = runner.calls[-1]
    assert argv[:2] == ["/usr/bin/docker", "build"]
    assert env == {"BUILDKIT_PROGRESS": "plain", "DOCKER_BUILDKIT": "0"}


def test_push_commands() -> None:
    runner = FakeRunner({(): (0, ["pushed"])})
    which = installed("docker", "podman", "buildah")
    PodmanEngine(runner=runner, which=which).push("iris:1", "r:5000/iris:1", tls_verify=False)
    BuildahEngine(runner=runner, which=which).push("iris:1", "r:5000/iris:1")
    DockerEngine(runner=runner, which=which).push("iris:1", "r:5000/iris:1")
    argvs = [argv for argv, _ in runner.calls]
    assert argvs[0] == ["/usr/bin/podman", "push", "--tls-verify=false", "iris:1", "r:5000/iris:1"]
    assert argvs[1] == ["/usr/bin/buildah", "push", "iris:1", "docker://r:5000/iris:1"]
    assert argvs[2:] == [
        ["/usr/bin/docker", "tag", "iris:1", "r:5000/iris:1"],
        ["/usr/bin/docker", "push", "r:5000/iris:1"],
    ]


def test_run_command_flags() -> None:
    options = RunOptions(
        ports=(("127.0.0.1", 9000, 8080),),
        mounts=(Mount(Path("/data"), "/opt/ml/input/data/train", read_only=True),),
        env={"A": "1"},
        user="1000:1000",
    )
    engine = PodmanEngine(runner=FakeRunner({}), which=installed("podman"))
    argv = engine.run_command("iris:1", ["train"], options)
    assert argv == [
        "/usr/bin/podman",
        "run",
        "--rm",
        "--publish",
        "127.0.0.1:9000:8080",
        "--volume",
        "/data:/opt/ml/input/data/train:ro",
        "--env",
        "A=1",
        "--user",
        "1000:1000",
        "iris:1",
        "train",
    ]


def test_buildah_runs_through_podman_or_says_it_cannot() -> None:
    engine = BuildahEngine(runner=FakeRunner({}), which=installed("buildah", "podman"))
    assert engine.run_command("iris:1", ["serve"], RunOptions())[:2] == ["/usr/bin/podman", "run"]
    alone = BuildahEngine(runner=FakeRunner({}), which=installed("buildah"))
    with pytest.raises(EngineNotFound, match="cannot run them"):
        alone.run_command("iris:1", ["serve"], RunOptions())


@pytest.mark.parametrize(
    ("line", "number", "stage", "instruction"),
    [
        ("[2/2] STEP 3/9: RUN useradd x", "3/9", "2/2", "RUN useradd x"),
        ("STEP 1/2: FROM python:3.11-slim", "1/2", None, "FROM python:3.11-slim"),
        ("Step 10/24 : RUN apt-get update", "10/24", None, "RUN apt-get update"),
        ("#10 [stage-1 7/15] RUN test -e /x", "7/15", "stage-1", "RUN test -e /x"),
        ("#4 [2/3] COPY app/ /opt/app/", "2/3", None, "COPY app/ /opt/app/"),
    ],
)
def test_step_headers_of_every_engine(line, number, stage, instruction) -> None:
    step = parse_step(line)
    assert step is not None
    assert (step.number, step.stage, step.instruction) == (number, stage, instruction)


def test_other_lines_are_not_steps() -> None:
    for line in ("--> Using cache 9f2", "#10 ERROR: process did not complete", "Get:1 http://x"):
        assert parse_step(line) is None


def recorded(name: str) -> Completed:
    lines = (OUTPUTS / name).read_text().splitlines()
    return Completed(("engine", "build"), 1, tuple(lines))


def plan_with(**fields: object):
    spec = ProjectSpec(name="extras", **fields)
    loaded = LoadedSpec(spec=spec, root=FIXTURES / "build" / "extras", source=None)
    return plan_package(loaded, BuildOptions(), environ={})


def test_a_missing_system_package_is_named() -> None:
    plan = plan_with(system_packages=["nosuch-pkg-tiffin"])
    for output in ("podman-apt.txt", "docker-classic-apt.txt"):
        error = explain_build_failure("podman", recorded(output), plan, "/tmp/build.log")
        assert "system package 'nosuch-pkg-tiffin' cannot be installed" in error.message
        assert "E: Unable to locate package nosuch-pkg-tiffin" in error.output
        assert error.message.startswith("podman build failed at step ")
        assert "full log: /tmp/build.log" in error.message
        assert "system_packages" in (error.hint or "")


def test_a_failing_dockerline_is_named() -> None:
    plan = plan_with(dockerlines=["RUN mkdir -p /cache", "RUN test -e /nonexistent-file"])
    for output in ("podman-dl.txt", "docker-podman-dl.txt", "buildkit-dl.txt"):
        error = explain_build_failure("docker", recorded(output), plan)
        assert isinstance(error, BuildError)
        assert "dockerline 2 of the spec: RUN test -e /nonexistent-file" in error.message, output
        assert error.step == "7/15"


def test_podman_failure_reads_step_and_stage() -> None:
    plan = plan_with(dockerlines=["RUN mkdir -p /cache", "RUN test -e /nonexistent-file"])
    error = explain_build_failure("podman", recorded("podman-dl.txt"), plan)
    first = error.message.splitlines()[0]
    assert first == "podman build failed at step 7/15 of stage 2/2: RUN test -e /nonexistent-file"
    assert any("exit status 1" in line for line in error.output)


@pytest.mark.parametrize(
    ("output", "image"),
    [
        ("podman-pull.txt", "python:3.11-slim"),
        ("docker-classic-pull.txt", "python:3.99-slim"),
        ("buildkit-pull.txt", "python:3.11-slim"),
    ],
)
def test_an_unpullable_base_image_says_how_to_override(output: str, image: str) -> None:
    error = explain_build_failure("podman", recorded(output), plan_with())
    assert isinstance(error, BaseImageUnavailable)
    assert error.image == image
    assert "--base-image" in (error.rendered(flag)[1] or "") and "base_image" in (error.hint or "")


def test_buildkit_failing_step_is_the_one_marked_error() -> None:
    step = failing_step(recorded("buildkit-dl.txt").lines)
    assert step is not None and step.instruction == "RUN test -e /nonexistent-file"


def test_an_unknown_failure_keeps_the_last_lines() -> None:
    lines = ("STEP 1/2: FROM base", "STEP 2/2: RUN make", "make: *** [all] Error 2")
    error = explain_build_failure("buildah", Completed(("b",), 1, lines), plan_with())
    assert error.message.startswith("buildah build failed at step 2/2: RUN make")
    assert error.output == ("make: *** [all] Error 2",)
