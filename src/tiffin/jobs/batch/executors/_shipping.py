"""Shipping a model package to workers that may not share the driver's filesystem.

The driver zips the package (and, for the Ray engine, a ``MODEL_DIR`` outside it);
each worker unpacks it into a directory of its own. A :class:`Shipment` carries the
zip and where the package's spec lies inside it, so a package given as a
``tiffin.yaml``, a ``pyproject.toml`` or a single ``.py`` file arrives as one too.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Shipment", "pack_dir", "pack_package", "unpack", "zip_package"]


@dataclass(frozen=True)
class Shipment:
    """A directory as zip bytes; ``entry`` is the path to load, relative to it (``.``)."""

    archive: bytes
    entry: str = "."

    def unpack(self, target: Path) -> Path:
        """Unpack into ``target``; return the path of the entry there."""
        return unpack(self.archive, target) / self.entry


def zip_package(root: Path) -> bytes:
    """The package directory as zip bytes (links followed, caches left out)."""
    return _zip(root, sorted(root.rglob("*")))


def pack_dir(root: Path) -> Shipment:
    """A whole directory (a package, or a model dir), to be unpacked as it is."""
    return Shipment(zip_package(root))


def pack_package(package: str) -> Shipment:
    """The package named as ``tiffin batch`` takes it: a directory, a spec or a ``.py`` file.

    A directory or a spec file ships the package root; a single ``.py`` model ships
    that file and its model dir (``model/`` beside it, or the spec's ``model_dir``)
    when that dir lies beside it, not the whole directory it happens to sit in.
    """
    from tiffin.spec import load_spec

    given = Path(package)
    if given.is_dir():
        return pack_dir(given)
    loaded = load_spec(package)
    root = loaded.root
    entry = given.resolve().relative_to(root.resolve()).as_posix()
    if given.suffix != ".py":
        return Shipment(zip_package(root), entry)
    files = [given.resolve()]
    model_dir = loaded.spec.resolved_model_dir(root).resolve()
    if model_dir.is_dir() and model_dir.is_relative_to(root.resolve()):
        files += sorted(model_dir.rglob("*"))
    return Shipment(_zip(root.resolve(), files), entry)


def unpack(archive: bytes, target: Path) -> Path:
    """Unpack zip bytes into ``target`` (created if need be) and return it."""
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        bundle.extractall(target)
    return target


def _zip(root: Path, paths: Iterable[Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()
