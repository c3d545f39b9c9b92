"""Set a profile's region and keys in the user's AWS config files, never in a project.

The files are the AWS CLI's: ``~/.aws/config`` (``AWS_CONFIG_FILE``) and
``~/.aws/credentials`` (``AWS_SHARED_CREDENTIALS_FILE``). Values are edited line by line
so the user's comments and other profiles stay as they were; the result is checked with
configparser before it replaces the file. The credentials file is readable by its owner
only.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Mapping
from pathlib import Path

from tiffin.errors import DeployError

PROJECT_MARKERS = ("tiffin.yaml", "pyproject.toml", "setup.py", ".git")
SECTION = re.compile(r"^\s*\[([^\]]+)\]")


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The AWS config file: ``AWS_CONFIG_FILE`` or ``~/.aws/config``."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("AWS_CONFIG_FILE") or Path.home() / ".aws" / "config").expanduser()


def credentials_path(environ: Mapping[str, str] | None = None) -> Path:
    """The credentials file: ``AWS_SHARED_CREDENTIALS_FILE`` or ``~/.aws/credentials``."""
    environ = os.environ if environ is None else environ
    default = Path.home() / ".aws" / "credentials"
    return Path(environ.get("AWS_SHARED_CREDENTIALS_FILE") or default).expanduser()


def config_section(profile: str) -> str:
    """``default`` -> ``default``; ``ml`` -> ``profile ml`` (the config file's naming)."""
    return profile if profile == "default" else f"profile {profile}"


def read_value(path: Path, section: str, key: str) -> str | None:
    """A value of an INI file, or None."""
    parser = configparser.RawConfigParser()
    try:
        parser.read(path)
    except configparser.Error:
        return None
    return parser.get(section, key, fallback=None)


def set_values(text: str, section: str, values: Mapping[str, str]) -> str:
    """``text`` with ``values`` set in ``[section]``, every other line kept as it was."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _section(line) == section), None)
    if start is None:
        if lines and lines[-1].strip():
            lines.append("")
        lines.append(f"[{section}]")
        start = len(lines) - 1
    end = next((i for i in range(start + 1, len(lines)) if _section(lines[i])), len(lines))
    missing = dict(values)
    for i in range(start + 1, end):
        key = lines[i].split("=", 1)[0].strip()
        if "=" in lines[i] and key in missing:
            lines[i] = f"{key} = {missing.pop(key)}"
    lines[end:end] = [f"{key} = {value}" for key, value in missing.items()]
    return "\n".join(lines) + "\n"


def write_values(path: Path, section: str, values: Mapping[str, str], *, private: bool) -> None:
    """Set ``values`` in ``[section]`` of ``path``; ``private`` files get mode 0600."""
    refuse_project(path)
    text = path.read_text() if path.exists() else ""
    updated = set_values(text, section, values)
    try:
        configparser.RawConfigParser().read_string(updated)
    except configparser.Error as exc:
        raise DeployError(f"{path} is not a valid AWS config file: {exc}") from exc
    mode = 0o600 if private else (path.stat().st_mode & 0o777 if path.exists() else 0o644)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tiffin-new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(updated)
    temporary.chmod(mode)
    temporary.replace(path)


def refuse_project(path: Path) -> None:
    """Refuse a file inside a project directory (where it could be committed)."""
    home = Path.home().resolve()
    folder = path.expanduser().resolve().parent
    for directory in (folder, *folder.parents):
        if directory == home or directory == directory.parent:
            return
        marker = next((m for m in PROJECT_MARKERS if (directory / m).exists()), None)
        if marker:
            raise DeployError(
                f"refusing to write AWS settings to {path}: it is inside the project "
                f"{directory} (which has {marker})",
                hint="keep them in ~/.aws: unset AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE",
            )


def _section(line: str) -> str | None:
    match = SECTION.match(line)
    return match.group(1).strip() if match else None
