"""s3:// model URIs against a real moto server, and the message of each missing extra."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from storagetests import snapshot, tar_member, write_tar

from aws import start_moto
from tiffin.errors import StorageError, UnsafeArchive
from tiffin.storage import MARKER_NAME, fetch_model


def model_files(directory: Path) -> set[str]:
    return {name for name in snapshot(directory) if not name.startswith(".tiffin-")}


def test_a_sagemaker_model_tar_gz_is_fetched_and_extracted(s3_models, tmp_path, capsys) -> None:
    import joblib

    target = fetch_model("s3://models/iris/a/model.tar.gz", tmp_path / "model")
    assert model_files(target) == {"model.joblib"}
    assert joblib.load(target / "model.joblib").predict([[5.1, 3.5, 1.4, 0.2]]).tolist() == [0]
    assert "fetching s3://models/iris/a/model.tar.gz (1 file" in capsys.readouterr().err
    fetch_model("s3://models/iris/a/model.tar.gz", target)
    assert "already holds s3://models/iris/a/model.tar.gz" in capsys.readouterr().err


def test_a_prefix_of_loose_files_is_fetched_whole(s3_models, tmp_path: Path) -> None:
    target = fetch_model("s3://models/iris/b/", tmp_path / "model")
    assert model_files(target) == {"model.joblib", "notes", "notes/README.txt"}
    assert (target / "notes" / "README.txt").read_text() == "always says virginica\n"


def test_a_replaced_object_is_fetched_again(s3_models, tmp_path: Path, capsys) -> None:
    import boto3

    target = fetch_model("s3://models/iris/b", tmp_path / "model")
    boto3.client("s3").put_object(Bucket="models", Key="iris/b/notes/README.txt", Body=b"v2\n")
    capsys.readouterr()
    fetch_model("s3://models/iris/b", target)
    assert "fetching s3://models/iris/b" in capsys.readouterr().err
    assert (target / "notes" / "README.txt").read_text() == "v2\n"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("s3://models/iris/nope/model.tar.gz", "s3://models/iris/nope/model.tar.gz does not exist"),
        ("s3://models/elsewhere/", "s3://models/elsewhere/ does not exist"),
        ("s3://absent-bucket/model.tar.gz",
         "bucket 'absent-bucket' of s3://absent-bucket/model.tar.gz does not exist"),
    ],
)  # fmt: skip
def test_missing_keys_and_buckets_are_named(s3_models, tmp_path, uri: str, message: str) -> None:
    with pytest.raises(StorageError) as caught:
        fetch_model(uri, tmp_path / "model")
    assert caught.value.message == message
    assert model_files(tmp_path / "model") == set()


def test_a_malicious_archive_in_s3_is_refused(s3_models, tmp_path: Path) -> None:
    import boto3

    evil = write_tar(tmp_path / "evil.tar.gz", [
        tar_member("model.joblib", b"x"),
        tar_member("link", kind=b"2", link="/etc"),
        tar_member("link/cron.d/planted", b"x"),
    ])  # fmt: skip
    boto3.client("s3").upload_file(str(evil), "models", "evil/model.tar.gz")
    target = fetch_model("s3://models/iris/a/model.tar.gz", tmp_path / "model")
    with pytest.raises(UnsafeArchive, match="links to the absolute path '/etc'"):
        fetch_model("s3://models/evil/model.tar.gz", target)
    assert snapshot(target) == {"model.joblib", MARKER_NAME, ".tiffin-model.lock"}


def test_a_key_climbing_out_of_the_prefix_is_refused(s3_models, tmp_path: Path) -> None:
    import boto3

    boto3.client("s3").put_object(Bucket="models", Key="tricky/a/../../../escape.txt", Body=b"x")
    listed = boto3.client("s3").list_objects_v2(Bucket="models", Prefix="tricky/")["Contents"]
    assert [item["Key"] for item in listed] == ["tricky/a/../../../escape.txt"]
    with pytest.raises(StorageError, match=re.escape("refusing 'a/../../../escape.txt'")):
        fetch_model("s3://models/tricky/", tmp_path / "deep" / "model")
    assert snapshot(tmp_path) == {"deep", "deep/model", "deep/model/.tiffin-model.lock"}


def test_no_credentials_at_all_is_said_so(s3_models, monkeypatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(StorageError) as caught:
        fetch_model("s3://models/iris/a/model.tar.gz", tmp_path / "model")
    assert caught.value.message == "no credentials found to read s3://models/iris/a/model.tar.gz"


def test_access_denied_names_the_credentials(monkeypatch, tmp_path: Path, aws_env) -> None:
    monkeypatch.setenv("INITIAL_NO_AUTH_ACTION_COUNT", "0")  # this server checks credentials
    server = start_moto(tmp_path)
    moto = next(server)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", moto.url)
        with pytest.raises(StorageError) as caught:
            fetch_model("s3://models/iris/a/model.tar.gz", tmp_path / "model")
    finally:
        server.close()
    assert caught.value.message == "access denied to s3://models/iris/a/model.tar.gz"
    assert caught.value.hint and "AWS_ACCESS_KEY_ID" in caught.value.hint


BLOCKED = """
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None  # as if it were not installed
from tiffin.cli.main import main
sys.argv = ["tiffin", "serve", sys.argv[2], "--model-uri", sys.argv[3]]
main()
"""


@pytest.mark.parametrize(
    ("blocked", "uri", "message"),
    [
        ("s3fs", "s3://models/m.tar.gz", "reading s3:// URIs needs s3fs: pip install 'tiffin[s3]'"),
        ("gcsfs", "gs://models/m.tar.gz",
         "reading gs:// URIs needs gcsfs: pip install 'tiffin[gcs]'"),
        ("fsspec", "https://example.org/m.tar.gz",
         "reading http(s):// URIs needs fsspec and aiohttp: pip install 'tiffin[http]'"),
    ],
)  # fmt: skip
def test_a_missing_extra_is_named(bare_iris, tmp_path, blocked: str, uri: str, message: str):
    done = subprocess.run([sys.executable, "-c", BLOCKED, blocked, str(bare_iris), uri],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)  # fmt: skip
    assert done.returncode == 8, done.stderr
    assert done.stderr.strip() == f"error: {message}"
