"""The seam between tiffin and an ML framework: detect, save, pin, generate a model class.

Each framework lives in its own module holding one :class:`Framework` subclass,
registered with :func:`tiffin.frameworks.registry.register_framework`. Nothing
here imports a framework: adapters import theirs lazily inside methods, so
``import tiffin`` stays light.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar


@dataclass(frozen=True)
class SavedArtifact:
    """What an adapter wrote into the package's ``model/`` directory."""

    files: tuple[str, ...]
    """Paths relative to ``model/`` of every file written; the first is the main artifact."""
    options: dict[str, Any] = field(default_factory=dict)
    """Framework-specific facts the generated model class needs (e.g. a torch module's class)."""


class Framework(ABC):
    """One ML framework's knowledge: how to recognise, save, and serve its models.

    Subclasses set the class attributes and implement the methods.
    """

    name: ClassVar[str]
    """Short registry name, e.g. ``"sklearn"``; also recorded in the package."""
    distribution: ClassVar[str]
    """The PyPI distribution whose installed version is pinned, e.g. ``"scikit-learn"``."""
    file_suffixes: ClassVar[tuple[str, ...]] = ()
    """Suffixes of saved-model files this framework can read (``tiffin package FILE``)."""
    priority: ClassVar[int] = 100
    """Lower is tried first by detection; the generic fallback has the highest."""

    @classmethod
    @abstractmethod
    def detects(cls, model: Any) -> bool:
        """True if ``model`` belongs to this framework. Must not import the framework
        unless it is already in ``sys.modules``."""

    @abstractmethod
    def save(self, model: Any, model_dir: Path, *, probabilities: bool) -> SavedArtifact:
        """Serialize ``model`` into ``model_dir`` with the framework's own format."""

    @abstractmethod
    def requirements(self, model: Any) -> list[str]:
        """Distribution names the saved model needs at load time, unpinned.

        The packager pins each to the installed version.
        """

    @abstractmethod
    def model_class_source(self, artifact: SavedArtifact, *, class_name: str) -> str:
        """Python source of the editable model class that loads ``artifact`` and predicts.

        The class must follow the model contract (``__init__(self, model_dir)``, ``load``,
        ``preprocess``, ``predict``, ``postprocess``) and be plain code a user would edit.
        """

    def load_file(self, path: Path) -> Any:
        """Read a saved-model file (``tiffin package FILE``); frameworks with
        ``file_suffixes`` override this."""
        raise NotImplementedError(f"{self.name} cannot read {path.name}")
