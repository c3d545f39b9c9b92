"""Model URIs: fetch a model from s3://, gs://, http(s)://, file:// or a path, once, safely.

    from tiffin.storage import fetch_model
    model_dir = fetch_model("s3://models/iris/model.tar.gz", "/srv/iris-model")

``tiffin serve|batch --model-uri URI`` (or ``STORAGE_URI``) and ``tiffin run IMAGE
--model-uri URI`` use :func:`prepare_model_dir` and :func:`fetch_model`. See
docs/storage.md.

Modules, one job each: ``uris`` (parse and check a URI), ``sources`` (list and
download local files) and ``remote`` (the same through fsspec), ``failures``
(driver errors to StorageError), ``progress`` (stderr lines), ``marker`` (what a
model dir holds), ``members`` and ``archives`` (safe extraction), ``fetch``
(download once, atomically), ``placement`` (which dir, and MODEL_DIR).
"""

from tiffin.storage.archives import extract_archive
from tiffin.storage.fetch import fetch_model
from tiffin.storage.marker import MARKER_NAME
from tiffin.storage.placement import (
    CACHE_DIR_ENV,
    STORAGE_URI_ENV,
    cache_root,
    model_cache_dir,
    prepare_model_dir,
)
from tiffin.storage.uris import ARCHIVE_SUFFIXES, ModelUri, parse_uri

__all__ = [
    "ARCHIVE_SUFFIXES",
    "CACHE_DIR_ENV",
    "MARKER_NAME",
    "STORAGE_URI_ENV",
    "ModelUri",
    "cache_root",
    "extract_archive",
    "fetch_model",
    "model_cache_dir",
    "parse_uri",
    "prepare_model_dir",
]
