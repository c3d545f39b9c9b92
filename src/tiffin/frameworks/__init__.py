"""Framework adapters: one module per framework, found by model object or file suffix."""

from tiffin.frameworks.base import Framework, SavedArtifact
from tiffin.frameworks.registry import (
    detect_framework,
    framework_for_file,
    get_framework,
    register_framework,
    registered_frameworks,
)

__all__ = [
    "Framework",
    "SavedArtifact",
    "detect_framework",
    "framework_for_file",
    "get_framework",
    "register_framework",
    "registered_frameworks",
]
