"""Read a saved-model file with the adapter that knows its suffix (``tiffin package FILE``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tiffin.errors import PackagingError
from tiffin.frameworks import framework_for_file, registered_frameworks


def read_model_file(path: Path) -> Any:
    """The model object saved in ``path``; an unknown suffix lists the supported ones.

    A truncated or corrupted file raises ModelLoadError naming it.
    """
    adapter = framework_for_file(path)
    if adapter is None:
        raise PackagingError(
            f"no framework reads {path.name!r}: unknown suffix {path.suffix or '(none)'!r}",
            hint=f"supported: {', '.join(supported_suffixes())}",
        )
    return adapter.load_file(path)


def supported_suffixes() -> list[str]:
    """Every suffix some registered adapter reads, with the adapter's name."""
    return [
        f"{suffix} ({cls.name})" for cls in registered_frameworks() for suffix in cls.file_suffixes
    ]
