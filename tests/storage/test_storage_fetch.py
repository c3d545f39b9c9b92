"""fetch_model with local paths, file:// and http(s)://: once, atomically, with clear errors."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from storagetests import http_server, snapshot, tar_member, write_tar

from servers import free_port
from tiffin.errors import StorageError, UnsafeArchive
from tiffin.storage import MARKER_NAME, fetch_model


def marker(directory: Path) -> dict:
    return json.loads((directory / MARKER_NAME).read_text())


def content(directory: Path) -> set[str]:
    return {name for name in snapshot(directory) if not name.startswith(".tiffin-")}


def test_an_archive_is_extracted_once_then_reused(models, tmp_path: Path, capsys) -> None:
    target = tmp_path / "model"
    assert fetch_model(str(models.a_tar), target) == target
    assert content(target) == {"model.joblib"}
    assert marker(target)["uri"] == models.a_tar.as_uri() and marker(target)["complete"]
    first = capsys.readouterr().err
    assert f"tiffin: fetching {models.a_tar.as_uri()} (1 file" in first
    stamp = (target / "model.joblib").stat().st_mtime_ns
    time.sleep(0.01)
    fetch_model(models.a_tar.as_uri(), target)
    again = capsys.readouterr().err
    assert f"model dir {target} already holds {models.a_tar.as_uri()}" in again
    assert "fetching" not in again
    assert (target / "model.joblib").stat().st_mtime_ns == stamp


def test_a_changed_source_is_fetched_again(models, tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(models.b_dir, source)
    target = tmp_path / "model"
    fetch_model(str(source), target)
    assert content(target) == {"model.joblib", "notes", "notes/README.txt"}
    (source / "notes" / "README.txt").write_text("a longer note than before\n")
    fetch_model(str(source), target)
    assert (target / "notes" / "README.txt").read_text() == "a longer note than before\n"


def test_a_different_uri_replaces_the_content(models, tmp_path: Path) -> None:
    target = tmp_path / "model"
    fetch_model(str(models.b_dir), target)
    fetch_model(str(models.a_tar), target)
    assert content(target) == {"model.joblib"}
    assert (target / "model.joblib").read_bytes() == (models.a_dir / "model.joblib").read_bytes()
    assert marker(target)["uri"] == models.a_tar.as_uri()


def test_a_dir_of_other_files_is_never_replaced(models, tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    with pytest.raises(StorageError, match="were not fetched from a model URI") as caught:
        fetch_model(str(models.a_tar), target)
    assert caught.value.hint and "unset MODEL_DIR" in caught.value.hint
    assert content(target) == {"mine.txt"}


def test_a_failed_fetch_leaves_the_previous_model(models, tmp_path: Path) -> None:
    target = tmp_path / "model"
    fetch_model(str(models.a_tar), target)
    evil = write_tar(tmp_path / "evil.tar.gz", [
        tar_member("model.joblib", b"not the model"),
        tar_member("../planted.txt", b"x"),
    ])  # fmt: skip
    with pytest.raises(UnsafeArchive, match=r"'\.\.' would climb out"):
        fetch_model(str(evil), target)
    with pytest.raises(StorageError, match=r"file://.*/nothing-here\.tar\.gz does not exist"):
        fetch_model(str(tmp_path / "nothing-here.tar.gz"), target)
    assert snapshot(target) == {"model.joblib", MARKER_NAME, ".tiffin-model.lock"}
    assert (target / "model.joblib").read_bytes() == (models.a_dir / "model.joblib").read_bytes()
    assert marker(target)["uri"] == models.a_tar.as_uri()
    assert not (tmp_path / "planted.txt").exists()


def test_leftovers_of_an_interrupted_fetch_are_cleaned_up(models, tmp_path: Path, capsys) -> None:
    target = tmp_path / "model"
    fetch_model(str(models.a_tar), target)
    (target / ".tiffin-staging-crashed" / "content").mkdir(parents=True)
    interrupted = {**marker(target), "complete": False}
    (target / MARKER_NAME).write_text(json.dumps(interrupted))
    capsys.readouterr()
    fetch_model(str(models.a_tar), target)
    assert "tiffin: fetching" in capsys.readouterr().err
    assert not (target / ".tiffin-staging-crashed").exists()
    assert marker(target)["complete"]
    (target / MARKER_NAME).write_text("{not json")
    fetch_model(str(models.b_dir), target)
    assert content(target) == {"model.joblib", "notes", "notes/README.txt"}


def test_http_archive_is_fetched_and_extracted(models, http_models, tmp_path: Path) -> None:
    import joblib

    target = fetch_model(f"{http_models.url}/a.tar.gz", tmp_path / "model")
    assert joblib.load(target / "model.joblib").predict([[6.7, 3.0, 5.2, 2.3]]).tolist() == [2]


def test_query_strings_and_passwords_stay_out_of_logs(http_models, tmp_path: Path, capsys):
    url = http_models.url.replace("http://", "http://user:hunter2@") + "/a.tar.gz?token=sekrit"
    target = fetch_model(url, tmp_path / "model")
    err = capsys.readouterr().err
    assert f"fetching {http_models.url}/a.tar.gz?... (1 file" in err
    assert "sekrit" not in err + (target / MARKER_NAME).read_text()
    assert "hunter2" not in err + (target / MARKER_NAME).read_text()


def test_http_failures_say_what_went_wrong(http_models, tmp_path: Path) -> None:
    target = tmp_path / "model"
    with pytest.raises(StorageError, match=r"^http://127\.0\.0\.1:\d+/missing\.tar\.gz does not"):
        fetch_model(f"{http_models.url}/missing.tar.gz", target)
    with pytest.raises(StorageError, match="access denied to http") as caught:
        fetch_model(f"{http_models.url}/private/a.tar.gz", target)
    assert caught.value.hint and "token" in caught.value.hint
    with pytest.raises(StorageError, match=r"cannot reach the server of http://127\.0\.0\.1"):
        fetch_model(f"http://127.0.0.1:{free_port()}/a.tar.gz", target)
    assert content(target) == set()


def test_a_large_download_shows_a_progress_line(tmp_path: Path, capsys) -> None:
    root = tmp_path / "files"
    root.mkdir()
    (root / "weights.bin").write_bytes(os.urandom(9 * 1024 * 1024))
    with http_server(root) as server:
        target = fetch_model(f"{server.url}/weights.bin", tmp_path / "model")
    assert (target / "weights.bin").read_bytes() == (root / "weights.bin").read_bytes()
    err = capsys.readouterr().err
    assert "tiffin: downloading weights.bin: 9.4 / 9.4 MB (" in err and "MB/s)" in err


def test_a_second_process_waits_for_the_first(models, tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    code = f"import tiffin.storage as s; s.fetch_model({str(models.a_tar)!r}, {str(target)!r})"
    with open(target / ".tiffin-model.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        child = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
        assert child.stderr is not None
        waiting = child.stderr.readline()  # printed once it finds the lock taken
        assert waiting == f"tiffin: waiting for another process fetching into {target}\n"
        time.sleep(0.5)
        assert child.poll() is None and content(target) == set()
    _, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert "tiffin: fetching" in err
    assert content(target) == {"model.joblib"}
