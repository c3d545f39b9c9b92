"""Small helpers that generated model classes call at load time. Imports nothing heavy."""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from tiffin.errors import ModelLoadError

logger = logging.getLogger("tiffin.model")
T = TypeVar("T")


def require(distribution: str, saved_version: str) -> str:
    """Check ``distribution`` is installed; warn if its version differs from the saved one.

    Raises ModelLoadError naming the requirement when it is missing. Returns the
    installed version.
    """
    try:
        installed = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        raise ModelLoadError(
            f"this model was saved with {distribution}=={saved_version}, which is not installed",
            hint=f"pip install {distribution}=={saved_version}",
        ) from None
    if installed != saved_version:
        logger.warning(
            "this model was saved with %s %s but %s %s is installed; predictions may differ",
            distribution, saved_version, distribution, installed,
        )  # fmt: skip
    return installed


def read_artifact(path: Path | str, reader: Callable[[Path], T]) -> T:
    """``reader(path)``, turning a missing, truncated or corrupted file into ModelLoadError."""
    path = Path(path)
    if not path.exists():
        raise ModelLoadError(f"model file {path} does not exist",
                             hint="re-run tiffin.package(...) or restore the file")  # fmt: skip
    try:
        return reader(path)
    except Exception as exc:
        raise ModelLoadError(
            f"cannot read model file {path}: {type(exc).__name__}: {exc}",
            hint="the file may be truncated or corrupted; package the model again",
        ) from exc


def as_array(inputs: Any, dtype: Any = None) -> Any:
    """``inputs`` as a 2-D numpy array (a single row becomes a batch of one)."""
    import numpy as np

    array = np.asarray(inputs, dtype=dtype)
    return array.reshape(1, -1) if array.ndim == 1 else array
