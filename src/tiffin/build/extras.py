"""Which of tiffin's own extras an image installs, and why.

The spec's ``tiffin_extras`` (default ``[grpc]``), then ``tiffin build --extra NAME``,
then the extra a ``STORAGE_URI`` in the spec's ``environment`` needs to be fetched
(``s3://`` -> ``s3``, ``gs://`` -> ``gcs``, ``http(s)://`` -> ``http``), said in a note.
"""

from __future__ import annotations

from collections.abc import Iterable

from tiffin.errors import SpecError, StorageError
from tiffin.spec import ProjectSpec
from tiffin.spec.extras import UnknownExtra, check_extras
from tiffin.storage import STORAGE_URI_ENV, parse_uri

__all__ = ["SCHEME_EXTRAS", "image_extras", "storage_extra"]

SCHEME_EXTRAS = {"s3": "s3", "gs": "gcs", "http": "http", "https": "http"}
"""The extra that fetches a model URI of each scheme (see tiffin.storage.remote)."""


def image_extras(spec: ProjectSpec, flags: Iterable[str] = ()) -> tuple[tuple[str, ...], str]:
    """(the extras the image installs, a note for the user or ``""``).

    Raises :class:`SpecError` for an extra tiffin does not have, naming where it came
    from (``--extra`` or ``tiffin_extras``) with a did-you-mean hint.
    """
    flags = list(flags)
    _check(flags, "--extra")
    wanted = _check([*spec.tiffin_extras, *flags], "tiffin_extras")
    uri = spec.environment.get(STORAGE_URI_ENV, "").strip()
    extra, display = storage_extra(uri) if uri else (None, "")
    if extra is None or extra in wanted:
        return tuple(wanted), ""
    note = (
        f"environment sets {STORAGE_URI_ENV}={display}: the image gets tiffin[{extra}] "
        "to fetch it at start"
    )
    return (*wanted, *_check([extra], "tiffin_extras")), note


def storage_extra(uri: str) -> tuple[str | None, str]:
    """(the extra that fetches ``uri``, or None, and ``uri`` as it may be shown)."""
    try:
        parsed = parse_uri(uri)
    except StorageError:
        return None, uri  # refused again, with its reason, when the image starts
    return SCHEME_EXTRAS.get(parsed.scheme), parsed.display


def _check(names: list[str], where: str) -> list[str]:
    try:
        return check_extras(names)
    except UnknownExtra as exc:
        raise SpecError(f"{where}: {exc}", key="tiffin_extras", hint=exc.hint) from exc
