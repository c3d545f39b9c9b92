"""The package spec: what a ``tiffin.yaml`` (or ``[tool.tiffin]``) may hold.

Every field carries a description and examples, so the models double as the
reference documentation of the spec format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from tiffin.spec._fields import (
    ByteSize,
    EntryRef,
    EnvName,
    EnvValues,
    FunctionRef,
    LogLevelName,
    ModelRef,
    Name,
    PythonVersion,
    TiffinExtras,
    TopicName,
    VersionLabel,
    WorkerClass,
)
from tiffin.spec.entries import ModelEntry
from tiffin.spec.extras import DEFAULT_EXTRAS
from tiffin.spec.python import DEFAULT_PYTHON

__all__ = ["ProjectSpec", "ServerSettings"]


class ServerSettings(BaseModel):
    """How the inference server runs: address, processes, limits, logging."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    host: str = Field(
        default="127.0.0.1",
        description="Address to listen on; use 0.0.0.0 to accept outside connections.",
        examples=["127.0.0.1", "0.0.0.0"],
    )
    port: int = Field(
        default=8080, ge=1, le=65535, description="TCP port to listen on.", examples=[8080]
    )
    workers: int = Field(
        default=1,
        ge=1,
        description=(
            "Number of server processes; they share one copy of the model when it is "
            "preloaded (see `preload`), else each loads its own."
        ),
        examples=[1, 4],
    )
    preload: bool | None = Field(
        default=None,
        description=(
            "Load the model once in the server's parent process before it starts the "
            "workers, which then share its memory copy-on-write instead of each loading "
            "their own copy. Unset: on with more than one worker, unless the model opts out "
            "(`shareable = False` on its class) or cannot be shared."
        ),
        examples=[True, False],
    )
    threads: int = Field(
        default=1,
        ge=1,
        description=(
            "Threads running synchronous model code in each worker; "
            "1 runs it on one model thread, requests in arrival order."
        ),
        examples=[1, 8],
    )
    worker_class: WorkerClass = Field(
        default="uvicorn",
        description=(
            "'uvicorn' (uvloop + httptools), 'uvicorn-h11' (pure Python), "
            "or a dotted path to a gunicorn worker class."
        ),
        examples=["uvicorn", "uvicorn-h11", "mypackage.workers.MyWorker"],
    )
    timeout: float = Field(
        default=60.0,
        gt=0,
        allow_inf_nan=False,
        description="Seconds a single request may take before it fails with 504.",
        examples=[60, 2.5],
    )
    max_batch_size: int = Field(
        default=1,
        ge=1,
        description=(
            "Most rows one predict call receives: requests arriving together over any "
            "protocol are joined into one call, and each gets its own rows back. Only for a "
            "model that accepts batches (`batching: true`); 1 turns batching off."
        ),
        examples=[1, 64],
    )
    max_latency_ms: float = Field(
        default=0.0,
        ge=0,
        allow_inf_nan=False,
        description=(
            "Milliseconds the oldest queued request waits for others to fill its batch "
            "(up to max_batch_size rows) before the batch runs anyway; 0: a batch takes "
            "what is queued when the model is free."
        ),
        examples=[0, 5, 20],
    )
    graceful_timeout: float = Field(
        default=30.0,
        ge=0,
        allow_inf_nan=False,
        description="Seconds in-flight requests get to finish after SIGTERM.",
        examples=[30],
    )
    log_level: LogLevelName = Field(
        default="info",
        description="One of critical, error, warning, info, debug (any case).",
        examples=["info", "DEBUG"],
    )
    access_log: bool = Field(default=False, description="Log one line per request.")
    debug: bool = Field(
        default=False,
        description=(
            "Run one auto-reloading development process (uvicorn) instead of gunicorn's "
            "workers; for development only."
        ),
        examples=[False, True],
    )
    console: bool = Field(
        default=True,
        description=(
            "Serve the browser console at /console (and at / to a browser asking for HTML): "
            "try the model, watch its traffic. false: /console is 404 and / always JSON."
        ),
        examples=[True, False],
    )
    max_body_size: ByteSize = Field(
        default=16 * 1024 * 1024,
        description="Largest request body accepted, in bytes or as a size like '16MB'.",
        examples=["16MB", "512KiB", "2 GB", 1048576],
    )
    grpc_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description=(
            "TCP port of the Open Inference Protocol gRPC server, beside the HTTP port; "
            "0 turns gRPC off. Unset: 8081 when tiffin's grpc extra is installed "
            "(pip install 'tiffin[grpc]'), else off."
        ),
        examples=[8081, 0],
    )
    grpc_max_message_size: ByteSize = Field(
        default=16 * 1024 * 1024,
        ge=1,
        le=2**31 - 1,
        description=(
            "Largest gRPC message received or sent, in bytes or as a size like '16MB' "
            "(at most 2GiB - 1)."
        ),
        examples=["16MB", "64MiB"],
    )
    kafka_broker: str | None = Field(
        default=None,
        description=(
            "Kafka bootstrap servers, 'host:port[,host:port]': each predict and feedback is "
            "then published as an event (pip install 'tiffin[kafka]'). Unset: no events."
        ),
        examples=["localhost:9092", "kafka-1:9092,kafka-2:9092"],
    )
    predictions_topic: TopicName = Field(
        default="tiffin-predictions",
        description="The topic every prediction's event goes to (a model's Result may add more).",
        examples=["tiffin-predictions", "iris-predictions"],
    )
    feedback_topic: TopicName = Field(
        default="tiffin-feedback",
        description="The topic every feedback's event goes to (a model's Result may add more).",
        examples=["tiffin-feedback"],
    )
    event_inputs: bool = Field(
        default=True,
        description="Put the request's inputs in events; false leaves them out of every event.",
        examples=[True, False],
    )
    event_outputs: bool = Field(
        default=True,
        description="Put the model's outputs in events; false leaves them out of every event.",
        examples=[True, False],
    )
    max_event_size: ByteSize = Field(
        default=1_000_000,
        ge=4096,
        description=(
            "Largest event, in bytes or as a size like '1MB'; in a larger one the larger of "
            "inputs and outputs, then the other, is replaced by a marker until it fits."
        ),
        examples=["1MB", 262144],
    )


class ProjectSpec(BaseModel):
    """One model package: its code, its environment and how it is served."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    name: Name = Field(
        description="Model name, used in URL paths: letters, digits, '.', '_' and '-'.",
        examples=["iris", "churn-model"],
    )
    version: VersionLabel = Field(
        default="1", description="Model version label.", examples=["1", "2024-05"]
    )
    description: str = Field(default="", description="One line saying what the model does.")
    example_input: JsonValue = Field(
        default=None,
        description=(
            "An input the model accepts, as JSON would hold it: what the console's form "
            "starts from. A model with several declared inputs takes a mapping by input name."
        ),
        examples=[[[5.1, 3.5, 1.4, 0.2]], {"text": ["hello"], "lang": ["en"]}],
    )
    model: ModelRef | None = Field(
        default=None,
        description=(
            "Where the model lives: 'module:Class', 'module:function', or just "
            "'module' to use the model class found in it."
        ),
        examples=["model:IrisClassifier", "mypkg.serve:predict", "model"],
    )
    initialize: FunctionRef | None = Field(
        default=None,
        description="A 'module:function' called once before the model loads.",
        examples=["setup:download_weights"],
    )
    train: EntryRef | None = Field(
        default=None,
        description=(
            "The training entry point: 'module:function' (called with no arguments, or with the "
            "training context if it takes one), or a script such as 'train.py' run as "
            "SageMaker runs it. Default: the model class's train(ctx) method."
        ),
        examples=["trainer:train", "train.py"],
    )
    batching: bool = Field(
        default=False,
        description=(
            "The model accepts batched inputs: with server.max_batch_size above 1, the "
            "payloads of requests arriving together (arrays, lists of rows, DataFrames, "
            "dicts of them) are concatenated along their first axis into one predict call "
            "and its result is split back by rows. A model class may say so itself "
            "(`batching = True`) or join and split its own way (concat_inputs, split_outputs)."
        ),
        examples=[False, True],
    )
    batch: FunctionRef | None = Field(
        default=None,
        description=(
            "A 'module:function' that receives a list of records and returns their results, "
            "used by `tiffin batch` instead of the model's predict."
        ),
        examples=["scorer.main:execute"],
    )
    python_version: PythonVersion = Field(
        default=DEFAULT_PYTHON,
        description=(
            "Python version of the image, as a quoted string: '3', '3.11' or '3.11.7' "
            "(the image runs major.minor; a version older than 3.10 builds on 3.10, "
            "with a note)."
        ),
        examples=["3.11", "3.12", "3.11.7"],
    )
    requirements: list[str] = Field(
        default_factory=list,
        description="pip requirements to install.",
        examples=[["scikit-learn==1.5.0", "pandas>=2"]],
    )
    requirements_file: str | None = Field(
        default=None,
        description="A requirements.txt file, relative to the package directory.",
        examples=["requirements.txt"],
    )
    tiffin_extras: TiffinExtras = Field(
        default_factory=lambda: list(DEFAULT_EXTRAS),
        description=(
            "Extras of tiffin itself that the image installs next to tiffin's core "
            "requirements: 'grpc' serves the Open Inference Protocol over gRPC, 's3', 'gcs' "
            "and 'http' fetch a STORAGE_URI of that scheme. A STORAGE_URI in `environment` "
            "adds its scheme's extra; `tiffin build --extra NAME` adds more; [] installs "
            "none (the image then serves HTTP only)."
        ),
        examples=[["grpc"], ["grpc", "s3"], []],
    )
    system_packages: list[str] = Field(
        default_factory=list,
        description="Debian packages to install in the image.",
        examples=[["libgomp1"]],
    )
    base_image: str | None = Field(
        default=None,
        description="Image to build on instead of the default python image.",
        examples=["python:3.11-slim"],
    )
    dockerlines: list[str] = Field(
        default_factory=list,
        description="Extra Dockerfile lines added after the requirements are installed.",
        examples=[["RUN mkdir -p /cache"]],
    )
    environment: EnvValues = Field(
        default_factory=dict,
        description="Environment variables set in the image and the server.",
        examples=[{"OMP_NUM_THREADS": "1"}],
    )
    secrets: list[EnvName] = Field(
        default_factory=list,
        description=(
            "Names of environment variables whose values are handed to the model "
            "as its `secrets` mapping."
        ),
        examples=[["HF_TOKEN"]],
    )
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="Free-form settings handed to the model as `config`.",
        examples=[{"threshold": 0.5}],
    )
    model_dir: str = Field(
        default="model",
        description="Directory of model artifacts, relative to the package directory.",
    )
    data_dir: str = Field(
        default="data", description="Directory of data files, relative to the package directory."
    )
    server: ServerSettings = Field(
        default_factory=ServerSettings, description="How the inference server runs."
    )
    models: list[ModelEntry] = Field(
        default_factory=list,
        description=(
            "A model repository: the packages one server serves side by side, each under "
            "its own name and version with its own settings. A spec with `models` needs "
            "no `model` of its own."
        ),
        examples=[[{"path": "iris"}, {"path": "churn", "name": "churn", "threads": 2}]],
    )

    def resolved_model_dir(self, root: Path) -> Path:
        """``model_dir`` as a path; a relative one is taken from the package root."""
        return _resolve(root, self.model_dir)

    def resolved_data_dir(self, root: Path) -> Path:
        """``data_dir`` as a path; a relative one is taken from the package root."""
        return _resolve(root, self.data_dir)


def _resolve(root: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path(root) / path
