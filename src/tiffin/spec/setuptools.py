"""A setuptools project with tiffin (or Baklava) entry points, normalized into a ProjectSpec.

Such a project declares its functions as entry points and its image through two setup
keywords::

    setup(
        name="scorer", version="0.1.0", packages=["scorer"],
        install_requires=["numpy"],
        python_version="3.11",                       # the image's Python
        dockerlines=["RUN mkdir -p /cache"],         # extra Dockerfile lines
        entry_points={
            "tiffin.predict": ["predict = scorer.main:predict"],       # or baklava.predict
            "tiffin.initialize": ["initialize = scorer.main:initialize"],
            "tiffin.train": ["train = scorer.main:train"],
            "tiffin.execute": ["execute = scorer.main:execute"],
        },
    )

:func:`read_sdist` reads one from its source distribution (``PKG-INFO`` and the
``*.egg-info`` files, where tiffin's setuptools plugin also records the two keywords),
and :func:`project_spec` turns it into the same :class:`ProjectSpec` a ``tiffin.yaml``
gives: ``predict`` -> ``model``, ``initialize``, ``train``, ``execute`` -> ``batch``.
"""

from __future__ import annotations

import configparser
import email.parser
import json
import re
import tarfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from tiffin.errors import SpecError
from tiffin.spec._problems import problems_from, spec_error
from tiffin.spec.model import ProjectSpec

__all__ = [
    "ENTRY_GROUPS",
    "KEYWORDS_FILE",
    "SetuptoolsProject",
    "parse_entry_points",
    "project_spec",
    "read_sdist",
]

ENTRY_GROUPS: dict[str, tuple[str, ...]] = {
    "predict": ("tiffin.predict", "baklava.predict"),
    "initialize": ("tiffin.initialize", "baklava.initialize"),
    "train": ("tiffin.train", "baklava.train"),
    "execute": ("tiffin.execute", "baklava.execute"),
}
"""Each role and the entry-point groups declaring it, tiffin's name first."""

SPEC_FIELDS = {"predict": "model", "initialize": "initialize", "train": "train", "execute": "batch"}
"""The ProjectSpec field each role fills."""

KEYWORDS_FILE = "tiffin_image.json"
"""The egg-info file holding the ``python_version`` and ``dockerlines`` setup keywords."""

_EXTRA = re.compile(r"\bextra\s*==")
_ENTRY = re.compile(r"^\s*([^=\s]+)\s*=\s*([\w.]+\s*:\s*[\w.]+)\s*(?:\[.*\])?\s*$")


@dataclass(frozen=True)
class SetuptoolsProject:
    """What an image needs from a setuptools project: metadata, requirements, entry points."""

    name: str
    version: str
    requirements: tuple[str, ...] = ()
    entry_points: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    python_version: str | None = None
    dockerlines: tuple[str, ...] = ()

    def entries(self, role: str) -> dict[str, str]:
        """The entry points of one role (``predict``...), from every group that declares it."""
        found: dict[str, str] = {}
        for group in ENTRY_GROUPS[role]:
            for name, value in self.entry_points.get(group, {}).items():
                found.setdefault(name, value)
        return found


def parse_entry_points(value: Any) -> dict[str, dict[str, str]]:
    """``entry_points`` as setup() takes it (a dict of lists or strings, or INI text).

    Returns ``{group: {name: "module:attr"}}``; a malformed line is a SpecError.
    """
    if not value:
        return {}
    if isinstance(value, str):
        parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(value)
        value = {
            group: [f"{k} = {v}" for k, v in parser[group].items()] for group in parser.sections()
        }
    groups: dict[str, dict[str, str]] = {}
    for group, lines in dict(value).items():
        if isinstance(lines, str):
            lines = lines.splitlines()
        groups[group] = dict(_entry(group, line) for line in lines if line.strip())
    return groups


def _entry(group: str, line: str) -> tuple[str, str]:
    match = _ENTRY.match(line)
    if not match:
        raise SpecError(
            f"entry point {line.strip()!r} in {group!r} should look like 'name = module:function'",
            key=group,
        )
    return match.group(1), re.sub(r"\s+", "", match.group(2))


def read_sdist(path: str | Path) -> SetuptoolsProject:
    """Read a source distribution (``.tar.gz`` or ``.zip``) built by setuptools."""
    archive = Path(path)
    files = _sdist_files(archive)
    pkg_info = _pick(files, "PKG-INFO", depth=2)
    if pkg_info is None:
        raise SpecError("is not a source distribution: it has no PKG-INFO", path=str(archive))
    metadata = email.parser.Parser().parsestr(pkg_info)
    requirements = _requirements(metadata.get_all("Requires-Dist") or [], files)
    keywords = json.loads(_pick(files, KEYWORDS_FILE, depth=3) or "{}")
    entry_points = parse_entry_points(_pick(files, "entry_points.txt", depth=3) or "")
    return SetuptoolsProject(
        name=str(metadata["Name"]),
        version=str(metadata["Version"]),
        requirements=tuple(requirements),
        entry_points=entry_points,
        python_version=keywords.get("python_version"),
        dockerlines=tuple(keywords.get("dockerlines") or ()),
    )


def _sdist_files(archive: Path) -> dict[str, str]:
    """The metadata files of an sdist (PKG-INFO and egg-info) as ``{path: text}``."""
    wanted = ("PKG-INFO", "entry_points.txt", "requires.txt", KEYWORDS_FILE)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zipped:
                return {
                    name: zipped.read(name).decode()
                    for name in zipped.namelist()
                    if PurePosixPath(name).name in wanted
                }
        with tarfile.open(archive) as tar:
            return {
                member.name: tar.extractfile(member).read().decode()  # type: ignore[union-attr]
                for member in tar.getmembers()
                if member.isfile() and PurePosixPath(member.name).name in wanted
            }
    except (OSError, tarfile.TarError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise SpecError(
            f"cannot be read as a source distribution: {exc}", path=str(archive)
        ) from exc


def _pick(files: Mapping[str, str], name: str, depth: int) -> str | None:
    """The file called ``name`` exactly ``depth`` levels down (``pkg-1.0/PKG-INFO``: 2)."""
    for path, text in sorted(files.items()):
        parts = PurePosixPath(path).parts
        if parts[-1] == name and len(parts) == depth:
            return text
    return None


def _requirements(requires_dist: list[str], files: Mapping[str, str]) -> list[str]:
    """Requires-Dist without extras; else the unconditional part of ``requires.txt``."""
    if requires_dist:
        return [req.strip() for req in requires_dist if not _EXTRA.search(req)]
    text = _pick(files, "requires.txt", depth=3) or ""
    found: list[str] = []
    marker: str | None = ""
    for line in (raw.strip() for raw in text.splitlines()):
        if line.startswith("["):
            extra, _, condition = line.strip("[]").partition(":")
            marker = None if extra else condition
        elif line and marker is not None:
            found.append(f"{line}; {marker}" if marker else line)
    return found


def project_spec(
    project: SetuptoolsProject, *, chosen: Mapping[str, str] | None = None
) -> ProjectSpec:
    """The ProjectSpec of a setuptools project.

    ``chosen`` picks an entry point by name for a role that has several
    (``{"predict": "my_predict"}``); a role with several and no choice is a SpecError.
    """
    data: dict[str, Any] = {
        "name": project.name,
        "version": project.version,
        "requirements": list(project.requirements),
        "dockerlines": list(project.dockerlines),
    }
    if project.python_version:
        data["python_version"] = project.python_version
    for role, spec_field in SPEC_FIELDS.items():
        entry = _choose(project, role, (chosen or {}).get(role))
        if entry is not None:
            data[spec_field] = entry
    try:
        return ProjectSpec.model_validate(data)
    except ValidationError as exc:
        where = f"setuptools project {project.name}"
        raise spec_error(problems_from(exc, {}, ProjectSpec), where) from exc


def _choose(project: SetuptoolsProject, role: str, name: str | None) -> str | None:
    entries = project.entries(role)
    groups = " or ".join(ENTRY_GROUPS[role])
    if name is not None:
        if name not in entries:
            have = ", ".join(sorted(entries)) or "none"
            raise SpecError(f"no {groups} entry point named {name!r} (there are: {have})", key=role)
        return entries[name]
    if len(entries) > 1:
        raise SpecError(
            f"{len(entries)} {groups} entry points ({', '.join(sorted(entries))}): "
            "say which one to use",
            key=role,
            hint="pass --entrypoint NAME (python setup.py ... -e NAME)",
        )
    return next(iter(entries.values()), None)
