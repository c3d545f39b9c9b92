"""The one table mapping tiffin's errors to HTTP statuses and gRPC status codes, and the
JSON error body both carry."""

from __future__ import annotations

from typing import NamedTuple

import orjson

from tiffin.errors import (
    FeedbackNotSupported,
    InvalidInput,
    ModelLoadError,
    ModelNotFound,
    ModelNotReady,
    NotAcceptable,
    PayloadTooLarge,
    PredictionFailed,
    PredictionTimeout,
    RepositoryChangeRefused,
    ResultNotEncodable,
    TiffinError,
    UnsupportedMediaType,
)
from tiffin.protocols.http import Response


class Status(NamedTuple):
    """How one kind of error is answered: an HTTP status, and a gRPC status code's name."""

    http: int
    grpc: str


STATUS_BY_ERROR: dict[type[TiffinError], Status] = {
    PayloadTooLarge: Status(413, "RESOURCE_EXHAUSTED"),
    InvalidInput: Status(400, "INVALID_ARGUMENT"),
    UnsupportedMediaType: Status(415, "INVALID_ARGUMENT"),
    NotAcceptable: Status(406, "INVALID_ARGUMENT"),
    ResultNotEncodable: Status(406, "INVALID_ARGUMENT"),
    ModelNotFound: Status(404, "NOT_FOUND"),
    ModelNotReady: Status(503, "UNAVAILABLE"),
    ModelLoadError: Status(503, "UNAVAILABLE"),
    PredictionTimeout: Status(504, "DEADLINE_EXCEEDED"),
    PredictionFailed: Status(500, "INTERNAL"),
    FeedbackNotSupported: Status(501, "UNIMPLEMENTED"),
    RepositoryChangeRefused: Status(409, "FAILED_PRECONDITION"),
}
UNEXPECTED = Status(500, "INTERNAL")
"""Any other error: a bug, answered with its type and message, never a traceback."""


def error_status(error: TiffinError) -> Status:
    """The statuses of an error: the entry of its nearest class in the table, else
    :data:`UNEXPECTED`."""
    for cls in type(error).__mro__:
        status = STATUS_BY_ERROR.get(cls)
        if status is not None:
            return status
    return UNEXPECTED


def status_for(error: TiffinError) -> int:
    """The HTTP status for an error."""
    return error_status(error).http


def grpc_status_for(error: TiffinError) -> str:
    """The name of the gRPC status code for an error (``grpc.StatusCode[name]``)."""
    return error_status(error).grpc


def error_body(error: TiffinError) -> bytes:
    """``{"error": message}``, plus the hint if there is one, as JSON."""
    body: dict[str, str] = {"error": error.message}
    if error.hint:
        body["hint"] = error.hint
    return orjson.dumps(body)


def error_response(error: TiffinError) -> Response:
    """The JSON error body with the error's HTTP status."""
    return Response(error_body(error), status_for(error))


def plain_error(status: int, message: str) -> Response:
    """An error response for conditions outside the error tree (404 route, 405)."""
    return Response(orjson.dumps({"error": message}), status)
