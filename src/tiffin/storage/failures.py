"""Turn what fsspec, s3fs, gcsfs, botocore, aiohttp or the OS raise into one StorageError.

The drivers' exceptions are recognised by their attributes and class names (an HTTP
``status``, a botocore ``response`` error code), so nothing here imports them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tiffin.errors import StorageError
from tiffin.storage.uris import ModelUri

__all__ = ["storage_error", "translating"]

CREDENTIAL_HINTS = {
    "s3": "check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID...) and that they may "
    "read this bucket and key",
    "gs": "check GOOGLE_APPLICATION_CREDENTIALS (or `gcloud auth application-default login`) "
    "and that the account may read this bucket",
    "http": "the server refused the request: check the URL and any token it needs",
    "file": "check the file's permissions",
}

MISSING_BUCKET_CODES = {"NoSuchBucket"}
DENIED_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
                "InvalidToken", "AllAccessDisabled", "AccountProblem"}  # fmt: skip
UNREACHABLE_NAMES = {"EndpointConnectionError", "ConnectError", "ClientConnectorError",
                     "ServerDisconnectedError", "ConnectTimeoutError", "ReadTimeoutError",
                     "ConnectionError", "TimeoutError", "gaierror"}  # fmt: skip
NO_CREDENTIALS_NAMES = {"NoCredentialsError", "PartialCredentialsError", "DefaultCredentialsError"}


@contextmanager
def translating(uri: ModelUri, action: str = "reading") -> Iterator[None]:
    """Re-raise anything but a StorageError (or Ctrl-C) as a StorageError about ``uri``."""
    try:
        yield
    except StorageError:
        raise
    except Exception as exc:
        raise storage_error(exc, uri, action) from exc


def storage_error(exc: BaseException, uri: ModelUri, action: str = "reading") -> StorageError:
    """The StorageError that says in one line what went wrong with ``uri``."""
    chain = list(_chain(exc))
    hint = CREDENTIAL_HINTS.get("http" if uri.scheme == "https" else uri.scheme)
    status = next((s for s in (getattr(e, "status", None) for e in chain) if isinstance(s, int)),
                  None)  # fmt: skip
    code = next((c for c in map(_error_code, chain) if c), None)
    if code in MISSING_BUCKET_CODES:
        return StorageError(f"bucket {uri.bucket!r} of {uri.display} does not exist",
                            hint="check the bucket name (and the account or endpoint)")  # fmt: skip
    if code in DENIED_CODES or status in (401, 403) or _first(chain, PermissionError):
        named = f" ({code})" if code and not code.isdigit() else ""
        return StorageError(f"access denied to {uri.display}{named}", hint=hint)
    if any(type(e).__name__ in NO_CREDENTIALS_NAMES for e in chain):
        return StorageError(f"no credentials found to read {uri.display}", hint=hint)
    unreachable = [e for e in chain if type(e).__name__ in UNREACHABLE_NAMES]
    if unreachable or _first(chain, ConnectionError):
        cause = (unreachable or chain)[0]
        return StorageError(f"cannot reach the server of {uri.display}: {_reason(cause)}",
                            hint="check the network (and AWS_ENDPOINT_URL if set)")  # fmt: skip
    if status == 404 or _first(chain, FileNotFoundError):
        return StorageError(f"{uri.display} does not exist")
    if status is not None:
        return StorageError(f"{action} {uri.display} failed: the server answered HTTP {status}")
    return StorageError(f"{action} {uri.display} failed: {_reason(exc)}")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def _first(chain: list[BaseException], kind: type[BaseException]) -> BaseException | None:
    return next((e for e in chain if isinstance(e, kind)), None)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
