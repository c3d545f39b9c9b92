"""Which dir a fetched model goes to, and MODEL_DIR pointing at it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tiffin.errors import StorageError
from tiffin.storage import cache_root, model_cache_dir, parse_uri, prepare_model_dir


def test_no_uri_changes_nothing() -> None:
    environ: dict[str, str] = {}
    assert prepare_model_dir(None, environ) is None
    assert environ == {}


def test_storage_uri_goes_to_the_cache_and_sets_model_dir(models, storage_env: Path) -> None:
    environ = {"STORAGE_URI": str(models.a_tar), "TIFFIN_CACHE_DIR": str(storage_env)}
    target = prepare_model_dir(None, environ)
    assert target == model_cache_dir(parse_uri(str(models.a_tar)), environ)
    assert target is not None and target.parent == storage_env / "models"
    assert environ["MODEL_DIR"] == str(target)
    assert (target / "model.joblib").is_file()


def test_the_flag_beats_storage_uri_which_beats_the_spec(models, tmp_path: Path) -> None:
    spec_environment = {"STORAGE_URI": str(models.b_dir)}
    environ = {"SM_MODEL_DIR": str(tmp_path / "sm")}
    assert prepare_model_dir(None, environ, defaults=spec_environment) == tmp_path / "sm"
    assert (tmp_path / "sm" / "notes" / "README.txt").is_file()
    environ = {"STORAGE_URI": str(models.b_dir), "MODEL_DIR": str(tmp_path / "m")}
    prepare_model_dir(str(models.a_tar), environ)
    assert {p.name for p in (tmp_path / "m").iterdir()} >= {"model.joblib"}
    assert not (tmp_path / "m" / "notes").exists()


def test_an_unusable_home_falls_back_to_a_temp_dir(monkeypatch, tmp_path: Path) -> None:
    home = tmp_path / "home-is-a-file"
    home.write_text("")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    root = cache_root({})
    assert root.parent.parent == tmp_path / "tmp" and root.name == "cache"
    assert cache_root({"XDG_CACHE_HOME": str(tmp_path / "xdg")}) == tmp_path / "xdg" / "tiffin"


def test_an_explicit_cache_dir_is_used_as_it_is(tmp_path: Path) -> None:
    assert cache_root({"TIFFIN_CACHE_DIR": str(tmp_path / "c")}) == tmp_path / "c"
    with pytest.raises(StorageError, match="names no bucket"):
        prepare_model_dir("s3:///key", {"TIFFIN_CACHE_DIR": str(tmp_path / "c")})
    assert not (tmp_path / "c").exists()


def test_a_model_the_cluster_fetched_is_served_as_it_is(monkeypatch, tmp_path: Path) -> None:
    """KServe's storage initializer fills /mnt/models and leaves STORAGE_URI set: no fetch.

    The URI names a bucket nobody can reach, so a fetch would fail loudly."""
    from tiffin.storage import placement

    mount = tmp_path / "mnt-models"
    mount.mkdir()
    (mount / "model.joblib").write_bytes(b"weights")
    monkeypatch.setattr(placement, "KSERVE_MODEL_MOUNT", mount)
    environ = {"STORAGE_URI": "s3://no-such-bucket-anywhere/iris/model.tar.gz"}
    assert prepare_model_dir(None, environ) == mount
    assert environ["MODEL_DIR"] == str(mount)
    assert (mount / "model.joblib").read_bytes() == b"weights"  # untouched

    # the same when KServe passes the dir as MODEL_DIR (--model_dir=/mnt/models)
    given = tmp_path / "given"
    given.mkdir()
    (given / "model.joblib").write_bytes(b"weights")
    environ = {"STORAGE_URI": "s3://no-such-bucket-anywhere/m/", "MODEL_DIR": str(given)}
    assert prepare_model_dir(None, environ) == given


def test_an_empty_mount_or_the_flag_still_fetches(models, monkeypatch, tmp_path: Path) -> None:
    from tiffin.storage import placement

    mount = tmp_path / "mnt-models"
    mount.mkdir()
    monkeypatch.setattr(placement, "KSERVE_MODEL_MOUNT", mount)
    environ = {"STORAGE_URI": str(models.a_tar), "TIFFIN_CACHE_DIR": str(tmp_path / "cache")}
    target = prepare_model_dir(None, environ)
    assert target is not None and target.parent == tmp_path / "cache" / "models"
    (mount / "model.joblib").write_bytes(b"stale")
    with pytest.raises(StorageError, match="not fetched from a model URI"):
        prepare_model_dir(str(models.a_tar), {"MODEL_DIR": str(mount)})  # the flag: fetch
