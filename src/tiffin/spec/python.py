"""Python versions: the forms a spec accepts, and the Python an image runs.

A spec (or a setuptools project's ``python_version`` keyword) may say ``"3"``,
``"3.11"`` or ``"3.11.7"``. An image runs ``major.minor``: ``"3.11.7"`` is
``3.11``, and ``"3"`` is :data:`DEFAULT_PYTHON`. tiffin itself needs Python
:data:`OLDEST_IMAGE_PYTHON` or newer, so an older version (Baklava's examples say
``"3.6.6"``) builds on that one instead, with a note saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "DEFAULT_PYTHON",
    "OLDEST_IMAGE_PYTHON",
    "ImagePython",
    "image_python",
    "normalize_python_version",
]

DEFAULT_PYTHON = "3.11"
"""The image's Python when the spec names none, or only ``"3"``."""
OLDEST_IMAGE_PYTHON = (3, 10)
"""The oldest Python tiffin runs on, hence the oldest an image can have."""

_VERSION = re.compile(r"^3(?:\.(0|[1-9]\d*)(?:\.\d+)?)?$")


def normalize_python_version(value: str) -> str | None:
    """``"3.11.7"`` -> ``"3.11"``, ``"3"`` -> :data:`DEFAULT_PYTHON`; None if not Python 3."""
    match = _VERSION.match(value.strip())
    if match is None:
        return None
    minor = match.group(1)
    return DEFAULT_PYTHON if minor is None else f"3.{minor}"


@dataclass(frozen=True)
class ImagePython:
    """The Python an image runs for a requested ``python_version``."""

    requested: str
    version: str
    """``major.minor``, at least :data:`OLDEST_IMAGE_PYTHON`."""

    @property
    def base_image(self) -> str:
        """The default base image for this Python."""
        return f"python:{self.version}-slim"

    @property
    def note(self) -> str | None:
        """Why the image runs another Python than the one requested, if it does."""
        if normalize_python_version(self.requested) == self.version:
            return None
        oldest = ".".join(map(str, OLDEST_IMAGE_PYTHON))
        return (
            f"python_version '{self.requested}' is older than tiffin supports (Python "
            f"{oldest}+): the image runs Python {self.version} ({self.base_image} unless "
            f'another base image is chosen); set python_version to "{oldest}" or later '
            "to choose the version yourself"
        )


def image_python(requested: str) -> ImagePython:
    """The Python an image runs for ``requested`` (a version a spec accepts)."""
    version = normalize_python_version(requested)
    if version is None:
        raise ValueError(f"{requested!r} is not a Python 3 version such as '3.11'")
    minor = int(version.split(".")[1])
    if (3, minor) < OLDEST_IMAGE_PYTHON:
        version = ".".join(map(str, OLDEST_IMAGE_PYTHON))
    return ImagePython(requested, version)
