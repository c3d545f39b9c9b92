"""The one table mapping tiffin's errors to HTTP statuses, and the JSON error body."""

from __future__ import annotations

import orjson

from tiffin.errors import (
    InvalidInput,
    ModelLoadError,
    ModelNotFound,
    ModelNotReady,
    NotAcceptable,
    PayloadTooLarge,
    PredictionFailed,
    PredictionTimeout,
    ResultNotEncodable,
    TiffinError,
    UnsupportedMediaType,
)
from tiffin.protocols.http import Response

STATUS_BY_ERROR: dict[type[TiffinError], int] = {
    PayloadTooLarge: 413,
    InvalidInput: 400,
    UnsupportedMediaType: 415,
    NotAcceptable: 406,
    ResultNotEncodable: 406,
    ModelNotFound: 404,
    ModelNotReady: 503,
    ModelLoadError: 503,
    PredictionTimeout: 504,
    PredictionFailed: 500,
}


def status_for(error: TiffinError) -> int:
    """The HTTP status for an error: the entry of its nearest class in the table, else 500."""
    for cls in type(error).__mro__:
        status = STATUS_BY_ERROR.get(cls)
        if status is not None:
            return status
    return 500


def error_response(error: TiffinError) -> Response:
    """``{"error": message}`` (plus the hint, if any) with the error's status."""
    body: dict[str, str] = {"error": error.message}
    if error.hint:
        body["hint"] = error.hint
    return Response(orjson.dumps(body), status_for(error))


def plain_error(status: int, message: str) -> Response:
    """An error response for conditions outside the error tree (404 route, 405)."""
    return Response(orjson.dumps({"error": message}), status)
