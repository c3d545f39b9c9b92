"""The manifest of a batch job: which job an output directory belongs to, and what is done.

``<output>/.tiffin-batch/manifest.json`` records the job's identity (its inputs
with sizes and modification times, the model package, the options that change
what is written) and the inputs whose ``.out`` file is complete. A rerun of the
same job resumes; a different job is refused, naming the manifest and what
differs. A lock file keeps two runs from writing the same directory at once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from tiffin.errors import BatchError, OutputConflict
from tiffin.jobs.batch.parts import FileTotals, atomic_file

__all__ = ["STATE_DIR", "JobManifest", "job_lock", "package_identity"]

STATE_DIR = ".tiffin-batch"
VERSION = 1
_SKIPPED_DIRS = {"__pycache__", "node_modules"}
_MAX_FILES = 5000


class JobManifest:
    """The job identity and the finished inputs of one output directory."""

    def __init__(self, output: Path, identity: dict[str, Any]) -> None:
        self.output = output
        self.path = output / STATE_DIR / "manifest.json"
        self.identity = identity
        self.fingerprint = hashlib.sha256(orjson.dumps(identity, option=orjson.OPT_SORT_KEYS))
        self.files: dict[str, dict[str, int]] = {}

    def open(self, targets: list[Path], restart: bool) -> None:
        """Resume this job's manifest, or start one; refuse another job's directory."""
        if restart:
            shutil.rmtree(self.path.parent / "parts", ignore_errors=True)
            self.path.unlink(missing_ok=True)
        if self.path.exists():
            self._resume()
            return
        if not restart:
            _refuse_foreign_outputs(self.output, targets)
        self.save()

    def _resume(self) -> None:
        try:
            saved = orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise OutputConflict(str(self.path), f"it cannot be read: {exc}") from exc
        if saved.get("fingerprint") != self.fingerprint.hexdigest():
            raise OutputConflict(str(self.path), _difference(saved.get("job", {}), self.identity))
        self.files = saved.get("files", {})

    def is_complete(self, name: str) -> bool:
        """True if the output of input ``name`` was assembled by this job."""
        return name in self.files

    def totals(self, name: str) -> FileTotals:
        """The counts recorded for a completed input."""
        return FileTotals(**self.files[name])

    def complete(self, name: str, totals: FileTotals) -> None:
        """Record that the output of input ``name`` is complete."""
        self.files[name] = dict(vars(totals))
        self.save()

    def save(self) -> None:
        """Write the manifest atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"tiffin_batch": VERSION, "fingerprint": self.fingerprint.hexdigest(),
                    "job": self.identity, "files": self.files}  # fmt: skip
        with atomic_file(self.path) as out:
            out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")


def _refuse_foreign_outputs(output: Path, targets: list[Path]) -> None:
    existing = [path for path in targets if path.exists()]
    if existing:
        raise BatchError(
            f"{existing[0]} exists and no batch manifest ({output / STATE_DIR}/manifest.json) "
            "says this job wrote it",
            hint="use another {=output} directory, or pass {=restart} to overwrite it",
        )


def _difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Say in words what differs between two job identities."""
    old_inputs = {item["name"]: item for item in old.get("inputs", [])}
    new_inputs = {item["name"]: item for item in new.get("inputs", [])}
    for name in sorted(old_inputs.keys() | new_inputs.keys()):
        if name not in new_inputs:
            return f"its input {name} is not an input of this job"
        if name not in old_inputs:
            return f"{name} was not one of its inputs"
        for key in ("location", "size", "mtime_ns", "content_type"):
            if old_inputs[name].get(key) != new_inputs[name].get(key):
                return f"input {name} changed ({key})"
    for key, value in new.get("options", {}).items():
        if old.get("options", {}).get(key) != value:
            return f"it ran with {key}={old.get('options', {}).get(key)!r}, not {value!r}"
    if old.get("model") != new.get("model"):
        return "the model package changed"
    return "it was written by another version of tiffin"


def package_identity(package: str, exclude: list[Path]) -> dict[str, Any]:
    """The model package as the fingerprint sees it: its path, spec and files' sizes and times."""
    from tiffin.spec import load_spec

    loaded = load_spec(package)
    root = loaded.root.resolve()
    skip = {path.resolve() for path in exclude}
    single = loaded.source is not None and loaded.source.suffix == ".py"
    files = []
    for path in [loaded.source.resolve()] if single else _package_files(root, skip):  # type: ignore[union-attr]
        stat = path.stat()
        files.append([path.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns])
    return {"root": str(root), "spec": loaded.spec.model_dump(mode="json"), "files": files}


def _package_files(root: Path, skip: set[Path]) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS
                         and (here / d).resolve() not in skip)  # fmt: skip
        for name in sorted(names):
            path = here / name
            if not name.startswith(".") and path.resolve() not in skip:
                found.append(path)
        if len(found) > _MAX_FILES:
            break
    return found[:_MAX_FILES]


@contextmanager
def job_lock(output: Path) -> Iterator[None]:
    """Hold an exclusive lock on the output directory for the length of a run."""
    state = output / STATE_DIR
    state.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX: no lock
        yield
        return
    with (state / "lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BatchError(
                f"another tiffin batch is writing to {output}",
                hint="wait for it to finish, or choose another {=output} directory",
            ) from None
        yield
