"""Who the image's process runs as: root only long enough to make the mounts usable.

SageMaker, the SageMaker SDK's local mode and a plain ``docker run -v`` start the
container as root with ``/opt/ml/{input,model,output}`` mounted root-owned. A process
that stays root can write them but needs no other privilege, so the entrypoint:

1. started as any other user (``--user``, Kubernetes ``runAsUser``): changes nothing;
2. started as root with ``TIFFIN_RUN_AS`` naming a user (the image sets ``tiffin``):
   for each directory the mode needs (train: ``model/``, ``output/``, ``checkpoints/``
   to write, ``input/`` to read; batch: the input to read, the output to write; serve:
   the model to read), checks whether that user already has the access; where it does
   not, hands the directory tree to that user (``chown -R``); then drops to that user
   for good (``setgroups``, ``setgid``, ``setuid``) before ``exec``;
3. if a directory can be neither used nor taken over (a read-only mount owned by root
   with mode 0700, say), stays root for this run and says so on one line, since a job
   that cannot read its input or write its model is worse than a privileged one.

``TIFFIN_RUN_AS=root`` keeps root (no ownership change); ``TIFFIN_RUN_AS=UID:GID`` drops
to those numeric ids. Only the standard library is used: the entrypoint imports this.
"""

from __future__ import annotations

import os
import pwd
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

RUN_AS_VARIABLE = "TIFFIN_RUN_AS"


@dataclass(frozen=True)
class Account:
    """The unprivileged account to run as."""

    name: str
    uid: int
    gid: int
    home: str
    groups: tuple[int, ...]


@dataclass(frozen=True)
class Need:
    """A directory the mode uses, and whether it writes into it."""

    path: Path
    write: bool


def account_for(value: str) -> Account | None:
    """``name`` or ``UID:GID`` -> the account; None for root or an empty value."""
    value = value.strip()
    if not value or value in ("root", "0", "0:0"):
        return None
    if ":" in value or value.isdigit():
        uid_text, _, gid_text = value.partition(":")
        uid, gid = int(uid_text), int(gid_text or uid_text)
        try:
            entry = pwd.getpwuid(uid)
            name, home = entry.pw_name, entry.pw_dir
        except KeyError:
            name, home = str(uid), "/tmp"
        return Account(name, uid, gid, home, (gid,))
    entry = pwd.getpwnam(value)
    groups = tuple(os.getgrouplist(entry.pw_name, entry.pw_gid))
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir, groups)


def can_use(account: Account, need: Need) -> bool:
    """Whether ``account`` can read (and, if needed, write) every entry of ``need.path``."""
    previous_groups = os.getgroups()
    try:
        os.setgroups(list(account.groups))
        os.setegid(account.gid)
        os.seteuid(account.uid)
        return all(_usable(entry, need.write) for entry in _tree(need.path))
    finally:
        os.seteuid(0)
        os.setegid(0)
        os.setgroups(previous_groups)


def _usable(path: Path, write: bool) -> bool:
    try:
        if path.is_symlink():
            return True
        mode = os.R_OK | (os.X_OK if path.is_dir() else 0) | (os.W_OK if write else 0)
    except OSError:  # a parent the account cannot search
        return False
    return os.access(path, mode, effective_ids=True)


def _tree(root: Path) -> Iterable[Path]:
    yield root
    if root.is_dir() and not root.is_symlink():
        for directory, subdirs, files in os.walk(root):
            for name in (*subdirs, *files):
                yield Path(directory, name)


def take_over(account: Account, path: Path) -> None:
    """Give ``path`` and everything under it to ``account`` (links themselves, not targets)."""
    for entry in _tree(path):
        os.chown(entry, account.uid, account.gid, follow_symlinks=False)


def prepare(needs: Iterable[Need], environ: Mapping[str, str]) -> dict[str, str]:
    """Make the needed directories usable and drop root; returns the environment to exec.

    A no-op (the environment unchanged) unless running as root with ``TIFFIN_RUN_AS``.
    """
    env = dict(environ)
    if os.getuid() != 0:
        return env
    account = account_for(env.get(RUN_AS_VARIABLE, ""))
    if account is None:
        return env
    for need in needs:
        if need.write and not need.path.exists():
            _make_dirs(need.path, account)
        if not need.path.exists() or can_use(account, need):
            continue
        problem = _hand_over(account, need)
        if problem:
            access = "writable" if need.write else "readable"
            print(
                f"tiffin: staying root for this run: {need.path} is not {access} by "
                f"{account.name} and cannot be handed over ({problem})",
                file=sys.stderr,
            )
            return env
    drop_to(account)
    env.update(HOME=account.home, USER=account.name, LOGNAME=account.name)
    return env


def _hand_over(account: Account, need: Need) -> str | None:
    """Take ``need.path`` over for ``account``; why that did not make it usable, or None."""
    try:
        take_over(account, need.path)
    except OSError as exc:
        return exc.strerror or str(exc)
    if not can_use(account, need):
        return "a parent directory is closed to it"
    return None


def _make_dirs(path: Path, account: Account) -> None:
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for created in missing:
        os.chown(created, account.uid, account.gid)


def drop_to(account: Account) -> None:
    """Become ``account`` for good: supplementary groups, then group, then user."""
    os.setgroups(list(account.groups))
    os.setgid(account.gid)
    os.setuid(account.uid)
