"""Where a fetched model goes, and how ``tiffin serve|batch`` find it afterwards.

``MODEL_DIR`` (or ``SM_MODEL_DIR``), when set, is where the model goes: the platform
or the user chose that directory. Otherwise it goes to a cache dir of its own,
``$TIFFIN_CACHE_DIR/models/<name>-<hash of the URI>`` (``TIFFIN_CACHE_DIR`` defaults to
``$XDG_CACHE_HOME/tiffin``, else ``~/.cache/tiffin``, else a dir in ``$TMPDIR``), so a
package's own ``model/`` dir is never overwritten and two URIs never share a dir.
Either way ``MODEL_DIR`` is then set to it, which the model loader reads first.

On KServe the cluster may have fetched ``STORAGE_URI`` already: its storage initializer
fills ``/mnt/models`` (or the ``MODEL_DIR`` it passes) before the container starts, and
leaves ``STORAGE_URI`` set. A URI that comes from that variable (not ``--model-uri``)
whose model dir already holds files tiffin did not fetch is served from there as it is.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from tiffin.storage.fetch import fetch_model
from tiffin.storage.marker import fetched_by_cluster
from tiffin.storage.progress import say
from tiffin.storage.uris import ModelUri, parse_uri

__all__ = ["CACHE_DIR_ENV", "STORAGE_URI_ENV", "cache_root", "model_cache_dir", "prepare_model_dir"]

STORAGE_URI_ENV = "STORAGE_URI"
CACHE_DIR_ENV = "TIFFIN_CACHE_DIR"
MODEL_DIR_ENVS = ("MODEL_DIR", "SM_MODEL_DIR")
KSERVE_MODEL_MOUNT = Path("/mnt/models")
"""Where KServe's storage initializer puts the model it fetched for the predictor."""


def prepare_model_dir(
    uri: str | None,
    environ: MutableMapping[str, str] | None = None,
    *,
    defaults: Mapping[str, str] | None = None,
) -> Path | None:
    """Fetch ``uri`` (else ``STORAGE_URI``) into the model dir and set ``MODEL_DIR`` to it.

    ``environ`` defaults to ``os.environ``; ``defaults`` (a spec's ``environment``)
    fill in variables it lacks. Returns the model dir, or None when no URI is given.
    """
    environ = os.environ if environ is None else environ
    view = {**(defaults or {}), **environ}
    text = uri or view.get(STORAGE_URI_ENV)
    if not text:
        return None
    location = parse_uri(text)
    explicit = next((Path(view[name]) for name in MODEL_DIR_ENVS if view.get(name)), None)
    if uri is None:
        fetched = fetched_by_cluster(explicit or KSERVE_MODEL_MOUNT)
        if fetched is not None:
            say(f"{location.display} is already in {fetched} (fetched by the cluster)")
            environ["MODEL_DIR"] = str(fetched)
            return fetched
    target = fetch_model(location, explicit or model_cache_dir(location, view))
    environ["MODEL_DIR"] = str(target)
    return target


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """``$TIFFIN_CACHE_DIR``, else ``$XDG_CACHE_HOME/tiffin``, else ``~/.cache/tiffin``.

    The root of every cache of tiffin (built wheels, build logs, fetched models). When
    the default cannot be created (a container user whose home is missing or read-only),
    ``$TMPDIR/tiffin-<uid>/cache``.
    """
    environ = os.environ if environ is None else environ
    if environ.get(CACHE_DIR_ENV):
        return Path(environ[CACHE_DIR_ENV]).expanduser()
    try:
        base = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        root = base / "tiffin"
        root.mkdir(parents=True, exist_ok=True)
        if os.access(root, os.W_OK):
            return root
    except (OSError, RuntimeError):  # RuntimeError: no home directory at all
        pass
    user = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"tiffin-{user}" / "cache"


def model_cache_dir(uri: ModelUri, environ: Mapping[str, str] | None = None) -> Path:
    """The cache dir of one URI: ``<cache root>/models/<last name>-<hash of the URI>``."""
    digest = hashlib.sha256(uri.uri.encode()).hexdigest()[:16]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", uri.name or uri.bucket or uri.scheme)[:40]
    return cache_root(environ) / "models" / f"{name.strip('.-') or 'model'}-{digest}"
