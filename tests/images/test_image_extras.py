"""tiffin's own extras in an image: the spec key, ``--extra``, STORAGE_URI's scheme, the
requirements file they render to, and the metadata they are read from."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner

from tiffin.build.context import write_context
from tiffin.build.plan import BuildOptions, plan_package
from tiffin.build.selfwheel import installed, refreshed_metadata
from tiffin.cli.main import cli
from tiffin.errors import SpecError
from tiffin.spec import LoadedSpec, ProjectSpec, load_spec
from tiffin.spec.extras import OwnRequirements, UnknownExtra, _from_metadata

OWN = OwnRequirements(
    core=("click>=8.1",),
    extras={
        "grpc": ("grpcio>=1.60", "protobuf>=4.25"),
        "s3": ("fsspec>=2023.1", "s3fs>=2023.1"),
        "http": ("fsspec>=2023.1", "aiohttp>=3.8"),
    },
)


def plan_of(tmp_path: Path, options: BuildOptions | None = None, **fields):
    loaded = LoadedSpec(ProjectSpec(name="m", model="m", **fields), tmp_path, None)
    return plan_package(loaded, options or BuildOptions(), environ={})


def test_images_get_grpc_by_default_and_the_flag_adds_more(tmp_path: Path) -> None:
    assert ProjectSpec(name="m").tiffin_extras == ["grpc"]
    assert plan_of(tmp_path).tiffin_extras == ("grpc",)
    plan = plan_of(tmp_path, BuildOptions(extras=("S3", "grpc")))
    assert plan.tiffin_extras == ("grpc", "s3")
    assert plan_of(tmp_path, tiffin_extras=[]).tiffin_extras == ()


def test_an_unknown_extra_in_the_spec_names_the_line_and_the_close_one(tmp_path: Path) -> None:
    (tmp_path / "tiffin.yaml").write_text("name: m\nmodel: m\ntiffin_extras: [s3, grcp]\n")
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path)
    error = caught.value
    assert error.line == 3 and error.key == "tiffin_extras"
    assert "'grcp' is not an extra of tiffin" in error.message
    assert error.hint is not None and error.hint.startswith("did you mean 'grpc'? ")
    assert "tiffin's extras are: " in error.hint and "s3" in error.hint


def test_an_unknown_extra_flag_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"--extra: 'ss3' is not an extra of tiffin") as caught:
        plan_of(tmp_path, BuildOptions(extras=("ss3",)))
    assert caught.value.hint is not None and "did you mean 's3'?" in caught.value.hint


@pytest.mark.parametrize(
    ("uri", "extra"),
    [
        ("s3://models/iris/model.tar.gz", "s3"),
        ("gs://models/iris/", "gcs"),
        ("https://example.org/iris.zip?token=secret", "http"),
        ("/srv/models/iris", None),
        ("s3:///no-bucket", None),
    ],
)
def test_storage_uri_in_the_environment_adds_its_extra(tmp_path, uri, extra) -> None:
    plan = plan_of(tmp_path, environment={"STORAGE_URI": uri})
    if extra is None:
        assert plan.tiffin_extras == ("grpc",) and not plan.notes
        return
    assert plan.tiffin_extras == ("grpc", extra)
    (note,) = plan.notes
    assert f"the image gets tiffin[{extra}] to fetch it" in note and "secret" not in note
    again = plan_of(tmp_path, environment={"STORAGE_URI": uri}, tiffin_extras=[extra])
    assert again.tiffin_extras == (extra,) and not again.notes


def test_requirements_of_each_extra_follow_the_core_ones(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, BuildOptions(extras=("s3", "http")))
    write_context(plan, tmp_path / "context", OWN)
    text = (tmp_path / "context" / "dependencies" / "tiffin-requirements.txt").read_text()
    assert text.splitlines()[1:] == [
        "click>=8.1",
        "# tiffin[grpc]",
        "grpcio>=1.60",
        "protobuf>=4.25",
        "# tiffin[s3]",
        "fsspec>=2023.1",
        "s3fs>=2023.1",
        "# tiffin[http]",
        "aiohttp>=3.8",
    ]
    dockerfile = (tmp_path / "context" / "dependencies" / "Dockerfile").read_text()
    assert "\nEXPOSE 8080 8081\n" in dockerfile


def test_an_image_without_grpc_exposes_the_http_port_only(tmp_path: Path) -> None:
    write_context(plan_of(tmp_path, tiffin_extras=[]), tmp_path / "context", OWN)
    dockerfile = (tmp_path / "context" / "dependencies" / "Dockerfile").read_text()
    assert "\nEXPOSE 8080\n" in dockerfile
    text = (tmp_path / "context" / "dependencies" / "tiffin-requirements.txt").read_text()
    assert "tiffin[" not in text


def test_an_extra_the_running_tiffin_lacks_is_named(tmp_path: Path) -> None:
    plan = plan_of(tmp_path)
    with pytest.raises(SpecError, match="'grpc' is not an extra of tiffin"):
        write_context(plan, tmp_path / "context", OwnRequirements(("click",), {"s3": ()}))
    with pytest.raises(UnknownExtra):
        OWN.sections(["gprc"])


def test_the_running_tiffin_has_the_extras_images_use() -> None:
    own = installed().own
    assert {"grpc", "s3", "gcs", "http"} <= set(own.extras)
    names = [r.split(">")[0].split("=")[0].split(";")[0].strip() for r in own.extras["grpc"]]
    assert sorted(names) == ["grpcio", "grpcio-health-checking", "grpcio-reflection", "protobuf"]


def test_metadata_requirements_round_trip_through_the_wheels_metadata(tmp_path: Path) -> None:
    """The wheel's METADATA lists the source's requirements and extras, and reads back."""
    own = OwnRequirements(
        core=("click>=8.1", "tomli>=2.0; python_version < '3.11'"),
        extras={"grpc": ("grpcio>=1.60",), "s3": ("s3fs>=2023.1; sys_platform != 'win32'",)},
    )
    stale = "Metadata-Version: 2.4\nName: tiffin\nVersion: 0.1.0\nRequires-Dist: old\n\n# README\n"
    text = refreshed_metadata(stale, own)
    assert "Requires-Dist: old" not in text and text.endswith("\n\n# README\n")
    directory = tmp_path / "tiffin-0.1.0.dist-info"
    directory.mkdir()
    (directory / "METADATA").write_text(text)
    assert _from_metadata(metadata.PathDistribution(directory)) == own


def test_dockerfile_takes_extra_flags(tiny_package: Path) -> None:
    def dockerfile(*args: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "tiffin", "dockerfile", str(tiny_package), *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120)

    done = dockerfile("--extra", "s3")
    assert done.returncode == 0, done.stderr
    assert "EXPOSE 8080 8081" in done.stdout
    done = dockerfile("--extra", "grcp")
    assert done.returncode == 2
    assert "--extra: 'grcp' is not an extra of tiffin" in done.stderr
    assert "did you mean 'grpc'?" in done.stderr


def test_build_passes_its_extra_flags_on(tiny_package, monkeypatch) -> None:
    from tiffin.build import builder

    seen = {}

    def build_image(path, **options):
        seen.update(options)
        return builder.BuiltImage("t:1", "fake", True, 0.0, Path("log"), "", "deps")

    monkeypatch.setattr(builder, "build_image", build_image)
    result = CliRunner().invoke(
        cli, ["build", str(tiny_package), "--extra", "s3", "--extra", "gcs"]
    )
    assert result.exit_code == 0, result.output
    assert seen["extras"] == ("s3", "gcs")
