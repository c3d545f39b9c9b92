"""Training and batch-transform jobs: start them, and read their descriptions for waiting."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tiffin.deploy.sagemaker.errors import call
from tiffin.deploy.sagemaker.logs import TRAINING_GROUP, TRANSFORM_GROUP, LogFollower
from tiffin.deploy.sagemaker.requests import (
    ModelSpec,
    TrainingSpec,
    TransformSpec,
    model_request,
    training_job_request,
    transform_job_request,
)
from tiffin.deploy.sagemaker.session import Aws
from tiffin.deploy.sagemaker.waiting import Snapshot, State, Transition, Watched

JOB_STATES = {
    "InProgress": State.RUNNING,
    "Stopping": State.RUNNING,
    "Completed": State.SUCCEEDED,
    "Failed": State.FAILED,
    "Stopped": State.STOPPED,
}


def start_training(aws: Aws, spec: TrainingSpec) -> str:
    """CreateTrainingJob; returns the job's ARN."""
    created = call(aws.client("sagemaker"), "create_training_job", **training_job_request(spec))
    return str(created.get("TrainingJobArn", ""))


def start_transform(aws: Aws, spec: TransformSpec, model: ModelSpec | None = None) -> str:
    """CreateTransformJob (after CreateModel when ``model`` is given); returns the job's ARN."""
    sagemaker = aws.client("sagemaker")
    if model is not None:
        call(sagemaker, "create_model", **model_request(model))
    created = call(sagemaker, "create_transform_job", **transform_job_request(spec))
    return str(created.get("TransformJobArn", ""))


def training_snapshot(description: Mapping[str, Any]) -> Snapshot:
    """A DescribeTrainingJob response as a :class:`Snapshot`."""
    status = str(description.get("TrainingJobStatus", "Unknown"))
    transitions = tuple(
        Transition(str(item.get("Status", "")), str(item.get("StatusMessage", "")))
        for item in description.get("SecondaryStatusTransitions", [])
    )
    return Snapshot(
        status=status,
        state=JOB_STATES.get(status, State.RUNNING),
        secondary=description.get("SecondaryStatus"),
        transitions=transitions,
        failure_reason=description.get("FailureReason") or None,
        description=description,
    )


def transform_snapshot(description: Mapping[str, Any]) -> Snapshot:
    """A DescribeTransformJob response as a :class:`Snapshot`."""
    status = str(description.get("TransformJobStatus", "Unknown"))
    return Snapshot(
        status=status,
        state=JOB_STATES.get(status, State.RUNNING),
        failure_reason=description.get("FailureReason") or None,
        description=description,
    )


def watch_training(aws: Aws, name: str) -> Watched:
    """The training job ``name``, with its CloudWatch log streams."""
    return watch_job(
        aws,
        name,
        "training job",
        "train",
        TRAINING_GROUP,
        lambda sagemaker: training_snapshot(
            call(sagemaker, "describe_training_job", TrainingJobName=name)
        ),
    )


def watch_transform(aws: Aws, name: str) -> Watched:
    """The transform job ``name``, with its CloudWatch log streams."""
    return watch_job(
        aws,
        name,
        "transform job",
        "transform",
        TRANSFORM_GROUP,
        lambda sagemaker: transform_snapshot(
            call(sagemaker, "describe_transform_job", TransformJobName=name)
        ),
    )


def watch_job(
    aws: Aws, name: str, kind: str, key: str, group: str, describe: Callable[[Any], Snapshot]
) -> Watched:
    """Job ``name``, described with the SageMaker client; its logs are ``group``'s
    streams ``NAME/...``."""
    sagemaker = aws.client("sagemaker")
    return Watched(
        kind=kind,
        key=key,
        name=name,
        describe=lambda: describe(sagemaker),
        logs=LogFollower(aws.client("logs"), group, f"{name}/"),
        aws_hint=f"aws logs tail {group} --log-stream-name-prefix {name}/ --follow",
    )


def model_artifact(snapshot: Snapshot) -> str | None:
    """The S3 URI of a finished training job's model.tar.gz."""
    artifacts = snapshot.description.get("ModelArtifacts") or {}
    uri = artifacts.get("S3ModelArtifacts")
    return str(uri) if uri else None


def billing_summary(snapshot: Snapshot) -> str:
    """``; trained 603 s, billed 241 s (spot saved 60%)``, or "" without the times."""
    trained = snapshot.description.get("TrainingTimeInSeconds")
    billed = snapshot.description.get("BillableTimeInSeconds")
    if trained is None or billed is None:
        return ""
    summary = f"; trained {trained} s, billed {billed} s"
    if trained and billed < trained:
        summary += f" (spot saved {100 * (trained - billed) // trained}%)"
    return summary
