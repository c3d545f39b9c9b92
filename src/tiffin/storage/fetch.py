"""Fetch a model URI into a model dir once, atomically, and reuse it on the next start.

Under a lock (another process fetching into the same dir waits), the source is
listed and fingerprinted. A dir whose marker holds the same URI and fingerprint is
used as it is. Otherwise the files are downloaded (and an archive extracted) into
a staging dir inside the model dir; only when everything is there does the old
content make way and the new one move in with renames, the marker last. A failed
or interrupted fetch leaves the old content (or nothing) and a staging dir that the
next fetch removes. A non-empty dir without a marker holds someone else's files:
it is never replaced.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tiffin.errors import StorageError
from tiffin.storage.archives import check_space, extract_archive
from tiffin.storage.marker import (
    LOCK_NAME,
    MARKER_NAME,
    STAGING_PREFIX,
    Marker,
    fingerprint,
    is_bookkeeping,
    read_marker,
    write_marker,
)
from tiffin.storage.progress import DownloadProgress, human_size, say
from tiffin.storage.sources import Source, SourceFile, open_source
from tiffin.storage.uris import ModelUri, archive_suffix, parse_uri

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock between processes
    fcntl = None  # type: ignore[assignment]

__all__ = ["fetch_model"]


def fetch_model(uri: str | ModelUri, model_dir: str | os.PathLike[str]) -> Path:
    """Fetch ``uri`` into ``model_dir`` unless it already holds that very content; return the dir.

    ``uri`` is ``s3://``, ``gs://``, ``http(s)://``, ``file://`` or a local path, naming a
    file or a directory (key prefix). A ``.tar.gz``, ``.tgz``, ``.tar`` or ``.zip`` file is
    extracted into ``model_dir`` (as SageMaker does with ``model.tar.gz``); any other file
    is placed in it under its own name. Raises StorageError (UnsafeArchive for an archive
    that would write outside the dir) with a one-line message; the dir is then unchanged.
    """
    location = uri if isinstance(uri, ModelUri) else parse_uri(uri)
    target = Path(model_dir).expanduser().absolute()
    with _writing(target), _locked(target):
        _remove_staging(target)
        source = open_source(location)
        files = source.listing()
        digest = fingerprint(location.uri, ((f.name, f.size, f.version) for f in files))
        current = read_marker(target)
        if current is not None and current.matches(location.display, digest):
            say(f"model dir {target} already holds {location.display}")
            return target
        _check_replaceable(target, location)
        size = sum(file.size or 0 for file in files)
        _install(source, files, target, Marker(location.display, digest, len(files), size))
    return target


@contextmanager
def _writing(target: Path) -> Iterator[None]:
    """Turn an OSError of our own writes (disk full, read-only dir) into a StorageError."""
    try:
        target.mkdir(parents=True, exist_ok=True)
        yield
    except OSError as exc:
        raise StorageError(
            f"cannot write the model into {target}: {exc.strerror or exc}",
            hint="point MODEL_DIR (or TIFFIN_CACHE_DIR) at a writable directory with space",
        ) from exc


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    """Hold the model dir's lock; wait (saying so) while another process holds it."""
    with open(target / LOCK_NAME, "a+b") as handle:
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                say(f"waiting for another process fetching into {target}")
                fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _remove_staging(target: Path) -> None:
    for entry in target.iterdir():
        if entry.name.startswith(STAGING_PREFIX):
            shutil.rmtree(entry, ignore_errors=True)


def _check_replaceable(target: Path, location: ModelUri) -> None:
    """A dir with a marker (even an unreadable one) or with nothing else may be replaced."""
    if (target / MARKER_NAME).exists() or all(is_bookkeeping(e.name) for e in target.iterdir()):
        return
    raise StorageError(
        f"{target} already holds files that were not fetched from a model URI; "
        f"refusing to replace them with {location.display}",
        hint="empty that directory, or unset MODEL_DIR to fetch into tiffin's cache dir",
    )


def _install(source: Source, files: list[SourceFile], target: Path, marker: Marker) -> None:
    check_space(target, marker.size, f"fetching {source.uri.display}")
    count = f"{len(files)} file{'s' if len(files) > 1 else ''}"
    say(f"fetching {source.uri.display} ({count}, {human_size(marker.size)}) into {target}")
    started = time.monotonic()
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target))
    try:
        content = staging / "content"
        content.mkdir()
        if len(files) == 1 and archive_suffix(source.uri.name):
            archive = staging / files[0].name
            _download(source, files[0], archive)
            extract_archive(archive, content, label=source.uri.display)
        else:
            for file in files:
                _download(source, file, content / file.name)
        _commit(target, content, marker)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    say(f"fetched {source.uri.display} in {time.monotonic() - started:.1f} s")


def _download(source: Source, file: SourceFile, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    progress = DownloadProgress(f"downloading {file.name}", file.size)
    source.download(file, dest, progress)
    progress.update(dest.stat().st_size)
    progress.finish()


def _commit(target: Path, content: Path, marker: Marker) -> None:
    """Swap the old content for the new: marker incomplete, old out, new in, marker complete."""
    write_marker(target, dataclasses.replace(marker, complete=False))
    for entry in target.iterdir():
        if not is_bookkeeping(entry.name):
            _remove(entry)
    for entry in content.iterdir():
        os.replace(entry, target / entry.name)
    write_marker(target, marker)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
