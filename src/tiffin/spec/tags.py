"""The image reference a package gets when the user names none."""

from __future__ import annotations

import re

_REPO_CHARS = re.compile(r"[^a-z0-9._-]+")
_TAG_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def default_tag(name: str, version: str) -> str:
    """``name:version`` made a valid image reference (lower-case name, safe tag)."""
    repository = _REPO_CHARS.sub("-", name.lower()).strip("._-") or "model"
    tag = _TAG_CHARS.sub("-", version).lstrip(".-")[:128] or "latest"
    return f"{repository}:{tag}"
