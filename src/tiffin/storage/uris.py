"""Parse and check a model URI before anything is fetched.

``s3://BUCKET/KEY``, ``gs://BUCKET/PATH`` (or ``gcs://``), ``http(s)://HOST/PATH``,
``file:///ABS/PATH`` and plain local paths. Any other scheme fsspec knows
(``az://``, ``hf://``, ``memory://``...) is passed to fsspec as it is. A URI that
cannot work (no bucket, an invalid bucket name, a relative ``file://``) is refused
here, before any network call.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from tiffin.errors import StorageError

__all__ = [
    "ARCHIVE_SUFFIXES",
    "ModelUri",
    "archive_suffix",
    "is_absolute",
    "parse_uri",
    "relative_name",
]

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
"""Names ending in one of these are extracted after download."""

BUCKET_SCHEMES = {"s3": "s3", "gs": "gs", "gcs": "gs"}
"""URI schemes whose first component is a bucket, and the scheme they mean."""

_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,220}[A-Za-z0-9]$")
"""Lenient on purpose: old S3 buckets may hold capitals and underscores."""
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ModelUri:
    """A checked model URI.

    ``scheme`` is ``file`` for local paths. ``path`` is what the filesystem is asked
    for: ``BUCKET/KEY`` for buckets, the whole URL for http(s), an absolute path for
    local files. ``uri`` is the canonical spelling; ``display`` the one shown to people.
    """

    uri: str
    scheme: str
    path: str
    bucket: str | None = None

    @property
    def is_local(self) -> bool:
        """True for local paths and ``file://`` URIs."""
        return self.scheme == "file"

    @property
    def display(self) -> str:
        """The URI for messages and logs: a URL without its password or query string."""
        if self.bucket is not None or self.is_local:
            return self.uri
        parts = urlparse(self.uri)
        host = parts.netloc.rpartition("@")[2]
        return f"{parts.scheme}://{host}{parts.path}" + ("?..." if parts.query else "")

    @property
    def name(self) -> str:
        """The last component of the path (``model.tar.gz``), or ``""`` for a bare bucket."""
        path = urlparse(self.path).path if self.scheme in ("http", "https") else self.path
        return posixpath.basename(path.rstrip("/"))


def parse_uri(text: str) -> ModelUri:
    """Check ``text`` and split it into scheme, bucket and path; StorageError if it cannot work."""
    text = text.strip()
    if not text:
        raise StorageError("the model URI is empty", hint="pass s3://BUCKET/KEY, a URL or a path")
    parsed = urlparse(text)
    scheme = parsed.scheme.lower()
    if len(scheme) <= 1:  # a plain path, or a Windows drive letter
        return _local(Path(text))
    if scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise StorageError(
                f"{text!r} is not an absolute file URI",
                hint="write file:///absolute/path (three slashes), or pass a plain path",
            )
        return _local(Path(unquote(parsed.path)))
    if scheme in BUCKET_SCHEMES:  # not urlparse's split: a key may hold '?' or '#'
        bucket, _, key = text.partition("://")[2].partition("/") if "://" in text else ("", "", "")
        return _bucket_uri(text, BUCKET_SCHEMES[scheme], bucket, key)
    if scheme in ("http", "https"):
        if not parsed.netloc:
            raise StorageError(f"{text!r} names no host", hint="write https://HOST/PATH")
        return ModelUri(text, scheme, text)
    return ModelUri(text, scheme, text)


def _local(path: Path) -> ModelUri:
    absolute = Path(os.path.abspath(path.expanduser()))
    return ModelUri(absolute.as_uri(), "file", str(absolute))


def _bucket_uri(text: str, scheme: str, bucket: str, key: str) -> ModelUri:
    example = f"{scheme}://BUCKET/KEY"
    if not bucket:
        raise StorageError(f"{text!r} names no bucket", hint=f"write it as {example}")
    if not _BUCKET.match(bucket) or ".." in bucket:
        hint = f"bucket names are letters, digits, dots and hyphens; write {example}"
        if ":" in bucket or "@" in bucket:
            hint = f"write {example}, with no host or port"
            if scheme == "s3":
                hint += "; set AWS_ENDPOINT_URL to use another S3 endpoint"
        raise StorageError(f"{bucket!r} in {text!r} is not a valid bucket name", hint=hint)
    key = key.lstrip("/")
    uri = f"{scheme}://{bucket}/{key}"
    return ModelUri(uri, scheme, f"{bucket}/{key}".rstrip("/"), bucket)


def archive_suffix(name: str) -> str | None:
    """The archive suffix ``name`` ends with (any case), or None if it is not an archive."""
    lowered = name.lower()
    return next((suffix for suffix in ARCHIVE_SUFFIXES if lowered.endswith(suffix)), None)


def is_absolute(name: str) -> bool:
    """True for ``/...`` and for ``C:...`` (a Windows drive): names that ignore the target."""
    return name.startswith("/") or bool(_DRIVE.match(name))


def relative_name(raw: str) -> str:
    """``raw`` as a clean relative POSIX path, or ValueError saying why it would escape.

    Backslashes count as separators; ``.`` and empty components are dropped; an
    absolute path, a drive letter, a ``..`` component or a NUL byte are refused.
    The result is ``""`` for the root itself (``"."``, ``"./"``).
    """
    name = raw.replace("\\", "/")
    if "\x00" in name:
        raise ValueError("the name holds a NUL byte")
    if is_absolute(name):
        raise ValueError("it is an absolute path")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValueError("'..' would climb out of the target")
    return "/".join(parts)
