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
    ├── BatchError                a batch prediction job cannot run or stopped
    │   ├── BatchInputError       an input is missing, unreadable or of an unknown type
    │   ├── OutputConflict        the output dir holds a different job's outputs
    │   └── RecordFailed          a record could not be read or scored (--on-error fail)
    ├── ImageError                building, running or pushing a container image failed
    │   ├── EngineNotFound        no container engine (docker, podman, buildah) is usable
    │   ├── RequirementUnavailable  a requirement has no wheel for the image (hermetic builds)
    │   ├── BuildError            the engine's build failed at a step (step, last output lines)
    │   │   └── BaseImageUnavailable  the base image cannot be pulled
    │   └── PushError             the engine could not push the image
    ├── StorageError              a model URI cannot be fetched (scheme, extra, access, missing)
    │   └── UnsafeArchive         an archive member would land outside the target directory
    ├── FeedbackError             model-reported metrics, events to Kafka, the metrics sink
    │   ├── InvalidMetric         a reported metric has a bad name, type, value or labels
    │   ├── InvalidTopic          a Kafka topic name is not legal
    │   └── SinkError             the metrics sink cannot run (bad URL, credentials refused...)
    ├── DeployError               a cloud deployment cannot start, or the cloud refused it
    │   ├── NoCredentials         the cloud's credential chain found no credentials
    │   ├── CloudCallFailed       an AWS call was refused (service, operation, code, message)
    │   └── RemoteJobFailed       a remote job or endpoint ended Failed (kind, name, reason)
    ├── ServerError               the server cannot start as configured
    │   ├── PortInUse             a port the server needs is taken by another process
    │   ├── ExtraNotInstalled     a feature asked for needs an extra that is not installed
    │   └── RouteClash            a model's custom endpoint has the method and path of another
    └── InferenceError            something went wrong serving one request
        ├── InvalidInput          the request is malformed (bad JSON, shape, datatype...)
        │   └── PayloadTooLarge   the body exceeds max_body_size
        ├── UnsupportedMediaType  no codec for the request's Content-Type
        ├── NotAcceptable         no codec for any type the Accept header allows
        ├── ResultNotEncodable    the result cannot be written as the type asked for (3-D as CSV)
        ├── ModelNotFound         no model with that name / version is served
        ├── ModelNotNamed         a route without a model name, on a server of several models
        ├── RepositoryChangeRefused  a model cannot be loaded or unloaded at run time now
        ├── ModelNotReady         the model has not finished loading
        ├── PredictionTimeout     the model did not answer within the timeout
        ├── PredictionFailed      the user's preprocess/predict/postprocess raised
        └── FeedbackNotSupported  feedback was sent to a model without a feedback method
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = [
    "BaseImageUnavailable",
    "BatchError",
    "BatchInputError",
    "BuildError",
    "CloudCallFailed",
    "ContractError",
    "DeployError",
    "EngineNotFound",
    "ExtraNotInstalled",
    "FeedbackError",
    "FeedbackNotSupported",
    "ImageError",
    "InferenceError",
    "InvalidInput",
    "InvalidMetric",
    "InvalidTopic",
    "ModelLoadError",
    "ModelNotFound",
    "ModelNotNamed",
    "ModelNotReady",
    "NoCredentials",
    "NotAcceptable",
    "OutputConflict",
    "PackagingError",
    "PayloadTooLarge",
    "PortInUse",
    "PredictionFailed",
    "PredictionTimeout",
    "PushError",
    "RecordFailed",
    "RemoteJobFailed",
    "RepositoryChangeRefused",
    "RequirementUnavailable",
    "ResultNotEncodable",
    "RouteClash",
    "ServerError",
    "SinkError",
    "SpecError",
    "StorageError",
    "TiffinError",
    "TrainingError",
    "UnsafeArchive",
    "UnsupportedMediaType",
    "render_settings",
    "setting",
]


SETTING = re.compile(r"\{=(\w+)\}")
"""How a message names a setting: ``{=max_payload}``. Each edge renders it its own way."""


def setting(name: str) -> str:
    """The marker of setting ``name`` in an error's message or hint (``{=workers}``).

    Domain errors name settings, not flags: the CLI renders ``{=max_payload}`` as
    ``--max-payload`` and ``{=no_hermetic}`` as ``--no-hermetic``; everywhere else (the
    Python API, logs, ``str(error)``) they read ``max_payload`` and ``hermetic=False``.
    """
    return f"{{={name}}}"


def python_name(name: str) -> str:
    """How the Python API spells a setting: ``max_payload``; ``no_x`` -> ``x=False``."""
    return f"{name[3:]}=False" if name.startswith("no_") else name


def render_settings(text: str, spell: Callable[[str], str] = python_name) -> str:
    """``text`` with every ``{=name}`` marker spelled by ``spell``."""
    return SETTING.sub(lambda found: spell(found.group(1)), text)


class TiffinError(Exception):
    """Base of every error tiffin raises on purpose.

    ``hint`` is an optional one-line suggestion of what to do next. Both may name
    settings with :func:`setting` markers; ``message`` and ``hint`` read them as the
    Python API spells them, :meth:`rendered` as any edge likes.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.template = message
        self.hint_template = hint

    @property
    def message(self) -> str:
        """The message, settings spelled as Python names."""
        return render_settings(self.template)

    @property
    def hint(self) -> str | None:
        """The hint, settings spelled as Python names."""
        return render_settings(self.hint_template) if self.hint_template else None

    @hint.setter
    def hint(self, value: str | None) -> None:
        self.hint_template = value

    def rendered(self, spell: Callable[[str], str]) -> tuple[str, str | None]:
        """(message, hint) with each setting spelled by ``spell`` (the CLI: as a flag)."""
        hint = render_settings(self.hint_template, spell) if self.hint_template else None
        return render_settings(self.template, spell), hint

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


class ImageError(TiffinError):
    """Building, running or pushing a container image failed."""


class EngineNotFound(ImageError):
    """No container engine is installed, or the one asked for cannot be used."""

    def __init__(self, wanted: str | None = None, reason: str | None = None) -> None:
        if wanted:
            message = f"container engine {wanted!r} cannot be used: {reason or 'not installed'}"
        else:
            message = "no container engine found: install docker, podman or buildah"
        super().__init__(
            message,
            hint="without an engine, run the model in this process: `tiffin serve PATH` "
            "(and `tiffin train`, `tiffin batch`)",
        )
        self.wanted = wanted
        self.reason = reason


class RequirementUnavailable(ImageError):
    """A requirement cannot be resolved to wheels for the image's Python and platform."""

    def __init__(self, requirement: str, target: str, reason: str, *, exists: bool | None) -> None:
        if exists is False:
            message = f"requirement {requirement!r} does not exist on the package index"
            hint = "check its spelling in the requirements"
        else:
            message = f"requirement {requirement!r} has no wheel for {target}"
            hint = (
                "pin a version that ships wheels for that Python and platform, or pass "
                "{=no_hermetic} to let the engine build it from source"
            )
        super().__init__(f"{message} ({reason})" if reason else message, hint=hint)
        self.requirement = requirement
        self.target = target
        self.reason = reason


class BuildError(ImageError):
    """The engine's build failed. ``step`` is where (``"7/12"``), ``output`` its last lines."""

    def __init__(
        self,
        message: str,
        *,
        step: str | None = None,
        instruction: str | None = None,
        output: tuple[str, ...] = (),
        log_file: str | None = None,
        hint: str | None = None,
    ) -> None:
        details = [message]
        if output:
            details.append("last output:")
            details.extend(f"  {line}" for line in output)
        if log_file:
            details.append(f"full log: {log_file}")
        super().__init__("\n".join(details), hint=hint)
        self.summary = message
        self.step = step
        self.instruction = instruction
        self.output = output
        self.log_file = log_file


class BaseImageUnavailable(BuildError):
    """The base image of the build cannot be pulled."""

    def __init__(self, image: str, *, output: tuple[str, ...] = (), log_file: str | None = None):
        super().__init__(
            f"cannot pull the base image {image!r}",
            step="1",
            instruction=f"FROM {image}",
            output=output,
            log_file=log_file,
            hint="use an image you have or can pull: set base_image in tiffin.yaml, or pass "
            "{=base_image} IMAGE (or set TIFFIN_BASE_IMAGE)",
        )
        self.image = image


class PushError(ImageError):
    """The engine could not push an image to a registry."""

    def __init__(self, image: str, destination: str, output: tuple[str, ...] = ()) -> None:
        lines = [f"pushing {image} to {destination} failed"]
        lines.extend(f"  {line}" for line in output)
        super().__init__(
            "\n".join(lines),
            hint="check the registry address and that you are logged in; a local registry "
            "without TLS needs {=no_tls_verify}",
        )
        self.image = image
        self.destination = destination
        self.output = output


class StorageError(TiffinError):
    """A model URI cannot be fetched: unknown scheme, missing extra, no access, not found."""


class UnsafeArchive(StorageError):
    """An archive holds a member that would be written outside the extraction target."""

    def __init__(self, archive: str, member: str, reason: str) -> None:
        super().__init__(
            f"{archive}: refusing member {member!r}: {reason}",
            hint="nothing was extracted outside the target; rebuild the archive with "
            "relative paths inside one directory",
        )
        self.archive = archive
        self.member = member
        self.reason = reason


class DeployError(TiffinError):
    """A cloud deployment cannot start (missing settings, invalid input) or the cloud refused it."""


class NoCredentials(DeployError):
    """The cloud's credential chain (environment, profile, SSO, instance role) found none."""


class CloudCallFailed(DeployError):
    """A cloud API refused a call: ``service`` and ``operation`` name it, ``code`` and
    ``message`` are the cloud's own (``ValidationException``, ``AccessDeniedException``...).
    """

    def __init__(
        self, service: str, operation: str, code: str, message: str, *, hint: str | None = None
    ) -> None:
        super().__init__(f"{service} {operation} failed: {code}: {message}", hint=hint)
        self.service = service
        self.operation = operation
        self.code = code
        self.reason = message


class RemoteJobFailed(DeployError):
    """A remote job or endpoint reached a failed state; ``reason`` is the cloud's FailureReason."""

    def __init__(
        self, kind: str, name: str, status: str, reason: str | None, *, hint: str | None = None
    ) -> None:
        because = f": {reason}" if reason else " (no failure reason given)"
        super().__init__(f"{kind} {name} {status}{because}", hint=hint)
        self.kind = kind
        self.name = name
        self.status = status
        self.reason = reason


class FeedbackError(TiffinError):
    """Model-reported metrics, events sent to Kafka or the metrics sink went wrong.

    Also raised when the optional dependency of one of them is missing; the hint names
    the extra to install.
    """


class InvalidMetric(FeedbackError):
    """A metric reported by the model has a bad name, type, value or labels.

    ``name`` is the metric's name when it has one, ``reason`` what is wrong with it.
    """

    def __init__(self, name: str | None, reason: str, *, position: int | None = None) -> None:
        which = f"metric {name!r}" if name else "metric"
        if position is not None:
            which = f"{which} (#{position + 1})"
        super().__init__(
            f"invalid {which}: {reason}",
            hint="a metric is {'name': 'accuracy', 'type': 'GAUGE', 'value': 0.93}, type one "
            "of GAUGE, COUNTER, TIMER; or build it with tiffin.metrics.gauge/counter/timer",
        )
        self.name = name
        self.reason = reason
        self.position = position


class InvalidTopic(FeedbackError):
    """A Kafka topic name is not legal: ``reason`` says which rule it breaks."""

    def __init__(self, topic: object, reason: str) -> None:
        super().__init__(
            f"invalid Kafka topic name {topic!r}: {reason}",
            hint="a topic name is 1 to 249 of the characters a-z A-Z 0-9 . _ - and not '.' or '..'",
        )
        self.topic = topic
        self.reason = reason


class SinkError(FeedbackError):
    """The metrics sink cannot run: a bad database URL or table name, credentials or a
    database the server refuses, a broker setting Kafka rejects."""


class ServerError(TiffinError):
    """The inference server cannot start as configured (a port, a missing extra)."""


class PortInUse(ServerError):
    """A port the server needs is already taken by another process."""

    def __init__(self, what: str, host: str, port: int, setting: str, reason: str) -> None:
        super().__init__(
            f"cannot listen for {what} on {host}:{port}: {reason}",
            hint=f"stop the process using it, or choose another port with {setting}",
        )
        self.what = what
        self.host = host
        self.port = port


class ExtraNotInstalled(ServerError):
    """A feature that was asked for needs an extra of tiffin that is not installed."""

    def __init__(self, feature: str, extra: str, missing: list[str]) -> None:
        super().__init__(f"{feature} needs {', '.join(missing)}: pip install 'tiffin[{extra}]'")
        self.feature = feature
        self.extra = extra
        self.missing = missing


class RouteClash(ServerError):
    """A custom endpoint of the model has the method and path of another route."""

    def __init__(self, method: str, path: str, taken_by: str, added_by: str) -> None:
        super().__init__(
            f"the model's endpoint {method} {path} ({added_by}) clashes with {taken_by}: "
            "both have the same method and path",
            hint="give the model's endpoint another path, e.g. under /custom/",
        )
        self.method = method
        self.path = path
        self.taken_by = taken_by
        self.added_by = added_by


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


class ResultNotEncodable(InferenceError):
    """The model's result cannot be written in the media type the client asked for.

    A CSV body holds a 2-D table and an .npy file a numeric array; other results need
    another type (JSON takes any of them).
    """

    def __init__(self, media_type: str, reason: str) -> None:
        super().__init__(
            f"the model's result cannot be encoded as {media_type}: {reason}",
            hint="ask for another type with the Accept header, e.g. 'Accept: application/json'",
        )
        self.media_type = media_type
        self.reason = reason


class ModelNotFound(InferenceError):
    """No served model matches the requested name (and version)."""

    def __init__(
        self, name: str, version: str | None = None, *, served: list[str] | None = None
    ) -> None:
        label = f"{name!r} version {version!r}" if version else repr(name)
        known = "" if served is None else f"; served: {', '.join(served) or 'none'}"
        super().__init__(f"model {label} does not exist{known}")
        self.name = name
        self.version = version
        self.served = served


class ModelNotNamed(InvalidInput):
    """A route that names no model reached a server of several models."""

    def __init__(self, served: list[str], hint: str) -> None:
        super().__init__(
            f"this server serves several models ({', '.join(served) or 'none'}); the request "
            "names none",
            hint=hint,
        )
        self.served = served


class RepositoryChangeRefused(InferenceError):
    """A model cannot be loaded or unloaded at run time: it is already loaded, or the
    server runs several workers that would not all see the change."""

    def __init__(self, name: str, reason: str, *, hint: str | None = None) -> None:
        super().__init__(f"cannot change model {name!r}: {reason}", hint=hint)
        self.name = name
        self.reason = reason


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


class FeedbackNotSupported(InferenceError):
    """Feedback was sent to a model whose class has no ``feedback`` method."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"model {name!r} takes no feedback: its class has no feedback method",
            hint="add `def feedback(self, inputs, truth, predicted):` to the model class; it "
            "may return a tiffin.metrics.Result with the metrics it computes",
        )
        self.name = name


class BatchError(TiffinError):
    """A batch prediction job cannot run, or stopped before it finished."""


class BatchInputError(BatchError):
    """An input of a batch job is missing, unreadable, too large or of an unknown type."""


class OutputConflict(BatchError):
    """The output directory holds the outputs of a different batch job."""

    def __init__(self, manifest: str, reason: str) -> None:
        super().__init__(
            f"{manifest} belongs to a different batch job ({reason})",
            hint="use another --output directory, or pass --restart to discard it and start over",
        )
        self.manifest = manifest
        self.reason = reason


class RecordFailed(BatchError):
    """A record of a batch job could not be read or scored, and the policy is to stop.

    ``line`` is the 1-based line (CSV, JSON lines) or row (Parquet) in ``file``.
    """

    def __init__(self, file: str, line: int | None, message: str) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(
            f"{where}: {message}",
            hint="finished parts are kept: fix the cause and rerun, or use "
            "{=on_error} skip|record to go past bad records",
        )
        self.file = file
        self.line = line
        self.reason = message
