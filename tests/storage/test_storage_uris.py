"""Model URIs are checked before any call: no bucket, a host in the bucket, relative file://."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiffin.errors import StorageError
from tiffin.storage import model_cache_dir, parse_uri


@pytest.mark.parametrize(
    "uri", ["s3:///model.tar.gz", "s3://", "s3:/models/model.tar.gz", "gs:///m.zip"]
)
def test_a_bucket_uri_without_a_bucket_is_refused(uri: str) -> None:
    with pytest.raises(StorageError, match="names no bucket") as caught:
        parse_uri(uri)
    assert caught.value.hint and "://BUCKET/KEY" in caught.value.hint


def test_an_endpoint_written_into_an_s3_uri_points_at_aws_endpoint_url() -> None:
    with pytest.raises(StorageError, match="not a valid bucket name") as caught:
        parse_uri("s3://127.0.0.1:9000/models/model.tar.gz")
    assert caught.value.hint and "AWS_ENDPOINT_URL" in caught.value.hint


def test_a_relative_file_uri_is_refused() -> None:
    with pytest.raises(StorageError, match="not an absolute file URI"):
        parse_uri("file://models/model.tar.gz")


def test_uris_are_split_into_scheme_bucket_and_path(tmp_path: Path, monkeypatch) -> None:
    s3 = parse_uri("s3://models/iris/model.tar.gz")
    assert (s3.scheme, s3.bucket, s3.path, s3.name) == (
        "s3", "models", "models/iris/model.tar.gz", "model.tar.gz")  # fmt: skip
    assert parse_uri("gcs://bkt/m").uri == "gs://bkt/m"
    assert parse_uri("s3://models/v#1?/m.zip").path == "models/v#1?/m.zip"
    https = parse_uri("https://example.org/m/model.tar.gz?token=1")
    assert https.path == "https://example.org/m/model.tar.gz?token=1"
    assert https.name == "model.tar.gz"
    monkeypatch.chdir(tmp_path)
    local = parse_uri("model.tar.gz")
    assert local.is_local and local.path == str(tmp_path / "model.tar.gz")
    assert parse_uri(f"file://{tmp_path}/model.tar.gz") == local


def test_each_uri_has_its_own_cache_dir(storage_env: Path) -> None:
    a = model_cache_dir(parse_uri("s3://models/iris/a/model.tar.gz"))
    b = model_cache_dir(parse_uri("s3://models/iris/b/model.tar.gz"))
    assert a.parent == b.parent == storage_env / "models"
    assert a != b and a.name.startswith("model.tar.gz-")
