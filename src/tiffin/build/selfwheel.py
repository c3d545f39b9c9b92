"""A wheel of the running tiffin, so that the image gets the very same code without network.

The wheel is packed from the imported ``tiffin`` package directory and the installed
distribution's metadata. That works the same for an editable install (the directory is
the source tree) and a regular one (it is in site-packages), needs neither pip nor a build
backend, and is byte-for-byte reproducible: same files, same wheel, same image layer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from tiffin.build.files import file_digest
from tiffin.spec.extras import DISTRIBUTION, OwnRequirements, editable_source, own_requirements

_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True)
class Installed:
    """The running tiffin: where its package is, its version, metadata and requirements."""

    package_dir: Path
    version: str
    metadata_files: dict[str, str]
    own: OwnRequirements

    @property
    def requirements(self) -> tuple[str, ...]:
        """The core requirements (without any extra's)."""
        return self.own.core


def installed() -> Installed:
    """Describe the running tiffin from ``importlib.metadata`` (and its source, if editable).

    An editable install's metadata dates from its last ``pip install``; the wheel's
    METADATA gets the requirements and extras of its current ``pyproject.toml`` instead.
    """
    dist = metadata.distribution(DISTRIBUTION)
    files = {name: dist.read_text(name) for name in ("METADATA", "entry_points.txt")}
    present = {name: text for name, text in files.items() if text is not None}
    own = own_requirements() or OwnRequirements(())
    if editable_source(dist) is not None and "METADATA" in present:
        present["METADATA"] = refreshed_metadata(present["METADATA"], own)
    return Installed(Path(__file__).resolve().parents[1], dist.version, present, own)


def refreshed_metadata(text: str, own: OwnRequirements) -> str:
    """``text`` (a METADATA file) with its Requires-Dist and Provides-Extra from ``own``."""
    head, separator, body = text.partition("\n\n")
    kept = [
        line
        for line in head.splitlines()
        if not line.startswith(("Requires-Dist:", "Provides-Extra:"))
    ]
    kept += [f"Requires-Dist: {requirement}" for requirement in own.core]
    for extra, requirements in own.extras.items():
        kept.append(f"Provides-Extra: {extra}")
        kept += [f"Requires-Dist: {_with_extra(r, extra)}" for r in requirements]
    return "\n".join(kept) + (separator + body if separator else "\n")


def _with_extra(requirement: str, extra: str) -> str:
    name, _, marker = requirement.partition(";")
    condition = f'extra == "{extra}"'
    if marker.strip():
        condition = f"({marker.strip()}) and {condition}"
    return f"{name.strip()}; {condition}"


def wheel_name(version: str) -> str:
    """``tiffin-0.1.0-py3-none-any.whl``."""
    return f"{DISTRIBUTION}-{version}-py3-none-any.whl"


def tiffin_wheel(cache_dir: Path, info: Installed | None = None) -> Path:
    """The wheel of the running tiffin, packed once per distinct content into ``cache_dir``."""
    info = info or installed()
    files = _package_files(info.package_dir)
    key = hashlib.sha256(
        json.dumps(
            [
                info.version,
                sorted(info.metadata_files.items()),
                [(name, file_digest(path)) for name, path in files],
            ]
        ).encode()
    ).hexdigest()[:16]
    target = cache_dir / "tiffin-wheel" / key / wheel_name(info.version)
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.partial")
        _write_wheel(partial, info, files)
        partial.replace(target)
    return target


def _package_files(package_dir: Path) -> list[tuple[str, Path]]:
    """(path inside the wheel, file) for every file of the package, sorted."""
    found: list[tuple[str, Path]] = []
    for directory, dirnames, filenames in os.walk(package_dir):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        for name in filenames:
            if name.endswith(_SKIP_SUFFIXES) or name.startswith("."):
                continue
            path = Path(directory) / name
            found.append((f"tiffin/{path.relative_to(package_dir).as_posix()}", path))
    return sorted(found)


def _write_wheel(target: Path, info: Installed, files: list[tuple[str, Path]]) -> None:
    dist_info = f"{DISTRIBUTION}-{info.version}.dist-info"
    contents = [(name, path.read_bytes()) for name, path in files]
    contents += [
        (f"{dist_info}/{name}", text.encode()) for name, text in sorted(info.metadata_files.items())
    ]
    wheel = "Wheel-Version: 1.0\nGenerator: tiffin\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    contents.append((f"{dist_info}/WHEEL", wheel.encode()))
    record = [f"{name},sha256={_b64(data)},{len(data)}" for name, data in contents]
    record.append(f"{dist_info}/RECORD,,")
    contents.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode()))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents:
            entry = zipfile.ZipInfo(name, date_time=_EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
