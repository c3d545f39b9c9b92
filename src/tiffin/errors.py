"""The one error tree of tiffin.

Every error tiffin raises on purpose derives from :class:`TiffinError`. Errors
carry structured fields and a human message; they know nothing of HTTP status
codes or exit codes. The server maps them to statuses in one table
(``tiffin.server.errors``) and the CLI maps them to exit codes in another
(``tiffin.cli.errors``).

    TiffinError
    ├── SpecError                 a tiffin.yaml / pyproject spec is invalid
    ├── ContractError             a user model class or function breaks the contract
    ├── ModelLoadError            importing the user code or its load() failed
    ├── PackagingError            tiffin.package() cannot write a package for this model
    ├── TrainingError             a training job cannot start or its code failed
    └── InferenceError            something went wrong serving one request
        ├── InvalidInput          the request is malformed (bad JSON, shape, datatype...)
        │   └── PayloadTooLarge   the body exceeds max_body_size
        ├── UnsupportedMediaType  no codec for the request's Content-Type
        ├── NotAcceptable         no codec for any type the Accept header allows
        ├── ModelNotFound         no model with that name / version is served
        ├── ModelNotReady         the model has not finished loading
        ├── PredictionTimeout     the model did not answer within the timeout
        └── PredictionFailed      the user's preprocess/predict/postprocess raised
"""

from __future__ import annotations

__all__ = [
    "ContractError",
    "InferenceError",
    "InvalidInput",
    "ModelLoadError",
    "ModelNotFound",
    "ModelNotReady",
    "NotAcceptable",
    "PackagingError",
    "PayloadTooLarge",
    "PredictionFailed",
    "PredictionTimeout",
    "SpecError",
    "TiffinError",
    "TrainingError",
    "UnsupportedMediaType",
]


class TiffinError(Exception):
    """Base of every error tiffin raises on purpose.

    ``hint`` is an optional one-line suggestion of what to do next.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class SpecError(TiffinError):
    """A package spec (tiffin.yaml, ``[tool.tiffin]``) is missing or invalid."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = path or ""
        if path and line:
            where = f"{path}:{line}"
        full = f"{where}: {message}" if where else message
        super().__init__(full, hint=hint)
        self.path = path
        self.line = line
        self.key = key


class ContractError(TiffinError):
    """The user's model class or functions do not follow the model contract."""


class ModelLoadError(TiffinError):
    """The user's code could not be imported, constructed or loaded."""


class TrainingError(TiffinError):
    """A training job's layout, configuration or user code failed."""


class PackagingError(TiffinError):
    """A model object or saved-model file cannot be packaged, or the target is unusable.

    Raised for an object no framework adapter recognises, a target directory that is not
    empty, a file suffix no adapter reads, or a missing optional dependency.
    """


class InferenceError(TiffinError):
    """A single inference request failed."""


class InvalidInput(InferenceError):
    """The request payload is malformed or does not fit the model."""


class PayloadTooLarge(InvalidInput):
    """The request body is larger than the configured ``max_body_size``."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"request body of {size} bytes exceeds max_body_size of {limit} bytes",
            hint="send a smaller batch, or raise server.max_body_size in tiffin.yaml",
        )
        self.size = size
        self.limit = limit


class UnsupportedMediaType(InferenceError):
    """No codec can decode the request's Content-Type."""

    def __init__(self, content_type: str, supported: list[str]) -> None:
        super().__init__(
            f"unsupported Content-Type {content_type!r}; supported: {', '.join(supported)}",
            hint=f"send the header 'Content-Type: {supported[0]}'" if supported else None,
        )
        self.content_type = content_type
        self.supported = supported


class NotAcceptable(InferenceError):
    """No codec can produce any media type the Accept header allows."""

    def __init__(self, accept: str, supported: list[str]) -> None:
        super().__init__(
            f"cannot produce any type in Accept {accept!r}; available: {', '.join(supported)}"
        )
        self.accept = accept
        self.supported = supported


class ModelNotFound(InferenceError):
    """No served model matches the requested name (and version)."""

    def __init__(self, name: str, version: str | None = None) -> None:
        label = f"{name!r} version {version!r}" if version else repr(name)
        super().__init__(f"model {label} does not exist")
        self.name = name
        self.version = version


class ModelNotReady(InferenceError):
    """The model exists but has not finished loading."""

    def __init__(self, name: str) -> None:
        super().__init__(f"model {name!r} is not ready yet")
        self.name = name


class PredictionTimeout(InferenceError):
    """The model did not answer within the configured timeout."""

    def __init__(self, name: str, timeout: float) -> None:
        super().__init__(f"model {name!r} did not answer within {timeout:g} s")
        self.name = name
        self.timeout = timeout


class PredictionFailed(InferenceError):
    """The user's code raised while handling a request.

    The message names the exception type and its message, never a traceback.
    """

    def __init__(self, stage: str, exc: BaseException) -> None:
        super().__init__(f"{stage} raised {type(exc).__name__}: {exc}")
        self.stage = stage
        self.exc_type = type(exc).__name__
