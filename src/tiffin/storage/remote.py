"""Remote model URIs through fsspec: s3:// (s3fs), gs:// (gcsfs), http(s):// (aiohttp) and more.

fsspec and the drivers are optional extras, imported only here and only when a
remote URI is fetched; a missing one is a StorageError naming what to install.
For ``s3://``, ``AWS_ENDPOINT_URL_S3`` (else ``AWS_ENDPOINT_URL``) points s3fs at
another endpoint (MinIO, a local test server).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tiffin.errors import StorageError
from tiffin.storage.failures import storage_error, translating
from tiffin.storage.progress import DownloadProgress
from tiffin.storage.sources import SourceFile, source_file
from tiffin.storage.uris import ModelUri

__all__ = ["FsspecSource", "filesystem", "storage_options"]

DRIVERS: dict[str, tuple[tuple[str, ...], str]] = {
    "s3": (("fsspec", "s3fs"), "pip install 'tiffin[s3]'"),
    "gs": (("fsspec", "gcsfs"), "pip install 'tiffin[gcs]'"),
    "http": (("fsspec", "aiohttp"), "pip install 'tiffin[http]'"),
    "https": (("fsspec", "aiohttp"), "pip install 'tiffin[http]'"),
}
"""Per scheme: the modules it needs, and the command that installs them."""

VERSION_KEYS = ("ETag", "etag", "generation", "md5Hash", "Last-Modified", "LastModified",
                "last_modified", "updated", "mtime")  # fmt: skip
"""Listing fields that change when a file's content does, the most precise first."""


def filesystem(uri: ModelUri, environ: Mapping[str, str] | None = None) -> Any:
    """A fresh fsspec filesystem for ``uri``'s scheme; StorageError if a driver is missing."""
    modules, command = DRIVERS.get(uri.scheme, (("fsspec",), "pip install 'tiffin[remote]'"))
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            needs = " and ".join(modules) if uri.scheme in ("http", "https") else modules[-1]
            scheme = "http(s)" if uri.scheme in ("http", "https") else uri.scheme
            raise StorageError(f"reading {scheme}:// URIs needs {needs}: {command}") from None
    import fsspec  # type: ignore[import-untyped,unused-ignore]

    options = storage_options(uri.scheme, os.environ if environ is None else environ)
    try:
        return fsspec.filesystem(uri.scheme, skip_instance_cache=True, **options)
    except ImportError as exc:
        raise StorageError(f"reading {uri.scheme}:// URIs needs a driver: {exc}") from None
    except ValueError as exc:
        raise StorageError(
            f"unsupported model URI scheme {uri.scheme!r} in {uri.display}",
            hint="use s3://, gs://, http(s)://, file:// or a local path",
        ) from exc
    except Exception as exc:
        raise storage_error(exc, uri, "opening") from exc


def storage_options(scheme: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """The fsspec options for ``scheme``: the S3 endpoint from the environment, if set."""
    if scheme == "s3":
        endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            return {"client_kwargs": {"endpoint_url": endpoint}}
    return {}


class FsspecSource:
    """A file, directory or key prefix on any filesystem fsspec knows."""

    def __init__(self, uri: ModelUri) -> None:
        self.uri = uri
        self.fs = filesystem(uri)

    def listing(self) -> list[SourceFile]:
        with translating(self.uri):
            info = self._info()
            if info.get("type") != "directory":
                return [self._file(info["name"], self.uri.name, info)]
            found = self.fs.find(self.uri.path, detail=True)
        root = self.fs._strip_protocol(self.uri.path).rstrip("/")
        files = [self._file(name, name[len(root) + 1 :], item)
                 for name, item in sorted(found.items())
                 if item.get("type") != "directory" and not name.endswith("/")]  # fmt: skip
        if not files:
            raise StorageError(f"{self.uri.display} holds no files")
        return files

    def download(self, file: SourceFile, dest: Path, progress: DownloadProgress) -> None:
        from fsspec.callbacks import Callback  # type: ignore[import-untyped,unused-ignore]

        def report(size: int | None, value: int, **_: Any) -> None:
            progress.update(value, size)

        with translating(self.uri):
            self.fs.get_file(file.path, str(dest), callback=Callback(hooks={"progress": report}))

    def _info(self) -> dict[str, Any]:
        """The path's info; a missing bucket is told apart from a missing key."""
        try:
            return dict(self.fs.info(self.uri.path))
        except FileNotFoundError as exc:
            if self.uri.bucket and self.uri.path != self.uri.bucket and not self._has_bucket():
                raise StorageError(
                    f"bucket {self.uri.bucket!r} of {self.uri.display} does not exist",
                    hint="check the bucket name (and the account or endpoint)",
                ) from exc
            raise

    def _has_bucket(self) -> bool:
        try:
            return bool(self.fs.exists(self.uri.bucket))
        except Exception:
            return True  # cannot tell: report the path as missing

    def _file(self, path: str, name: str, info: Mapping[str, Any]) -> SourceFile:
        if not name:
            raise StorageError(
                f"{self.uri.display} names no file", hint="end the URI with a file name"
            )
        version = next((str(info[key]) for key in VERSION_KEYS if info.get(key)), None)
        size = info.get("size")
        return source_file(self.uri, path, name, size if isinstance(size, int) else None, version)
