"""Helpers of the model URI tests: crafted archives, a local HTTP server, tree snapshots."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from servers import TIFFIN

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]
"""Three iris flowers: the trained model says [0, 2, 1], the constant model [2, 2, 2]."""


def tar_member(
    name: str,
    data: bytes = b"",
    *,
    kind: bytes = tarfile.REGTYPE,
    link: str = "",
    mode: int = 0o644,
) -> tuple[tarfile.TarInfo, bytes]:
    """A TarInfo of any type (files, dirs, links, devices, fifos), with its data."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mode = mode
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data


def write_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    """A gzipped tar holding exactly ``members``, names kept as given (absolute, ``..``)."""
    with tarfile.open(path, "w:gz", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return path


def write_zip(path: Path, members: list[tuple[str, bytes, int]]) -> Path:
    """A zip of (name, data, unix mode) members; the mode says file, symlink, fifo..."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return path


def snapshot(root: Path) -> set[str]:
    """Every path under ``root`` (links not followed), relative to it."""
    found = set()
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            found.add(str(Path(directory, name).relative_to(root)))
    return found


def sagemaker_tar(model_dir: Path, path: Path) -> Path:
    """``tar -czf model.tar.gz -C model_dir .``: members ``./``, ``./model.joblib``..."""
    with tarfile.open(path, "w:gz") as tar:
        tar.add(model_dir, arcname=".")
    return path


@dataclass
class HttpServer:
    """A local HTTP server of one directory; paths under ``/private/`` answer 403."""

    url: str
    root: Path


class _Handler(SimpleHTTPRequestHandler):
    def send_head(self) -> Any:  # both GET and HEAD start here
        if self.path.startswith("/private/"):
            self.send_error(403, "Forbidden")
            return None
        return super().send_head()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def http_server(root: Path) -> Iterator[HttpServer]:
    """Serve ``root`` on 127.0.0.1 from a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HttpServer(f"http://127.0.0.1:{server.server_address[1]}", root)
    finally:
        server.shutdown()
        server.server_close()


def tiffin(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the tiffin CLI in a child process and capture its output."""
    return subprocess.run(
        [*TIFFIN, *args], env={**os.environ, **env}, cwd=cwd, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
