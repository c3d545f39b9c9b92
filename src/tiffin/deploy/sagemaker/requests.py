"""The request dictionaries of SageMaker's Create* calls, built from typed specs.

Pure functions: what tiffin asks of SageMaker can be read (and asserted) without AWS.
Optional fields are left out of a request rather than sent empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Request = dict[str, Any]


@dataclass(frozen=True)
class Channel:
    """A training channel: an S3 prefix copied to ``/opt/ml/input/data/NAME``."""

    name: str
    uri: str
    content_type: str | None = None
    distribution: str = "FullyReplicated"


@dataclass(frozen=True)
class Instances:
    """What a job or endpoint runs on."""

    type: str = "ml.m5.large"
    count: int = 1


@dataclass(frozen=True)
class TrainingSpec:
    """A training job. ``hyperparameters`` are sent as strings, as the API wants them."""

    name: str
    image: str
    role: str
    output: str
    instances: Instances = Instances()
    volume_gb: int = 30
    channels: tuple[Channel, ...] = ()
    hyperparameters: Mapping[str, str] = field(default_factory=dict)
    environment: Mapping[str, str] = field(default_factory=dict)
    max_runtime: int = 86400
    spot: bool = False
    max_wait: int | None = None
    checkpoints: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A SageMaker model: an image, the role it runs as, optional model data and env."""

    name: str
    image: str
    role: str
    model_data: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EndpointSpec:
    """An endpoint serving one model through one endpoint config (one variant)."""

    name: str
    config_name: str
    model_name: str
    instances: Instances = Instances()
    variant: str = "AllTraffic"


@dataclass(frozen=True)
class TransformSpec:
    """A batch-transform job of an existing model over an S3 prefix."""

    name: str
    model_name: str
    input: str
    output: str
    instances: Instances = Instances()
    content_type: str | None = "text/csv"
    accept: str | None = None
    split_type: str = "Line"
    strategy: str = "MultiRecord"
    assemble_with: str = "Line"
    join_source: str = "None"
    max_payload_mb: int | None = None
    max_concurrent: int | None = None
    environment: Mapping[str, str] = field(default_factory=dict)


def training_job_request(spec: TrainingSpec) -> Request:
    """The CreateTrainingJob request of ``spec``."""
    stopping: Request = {"MaxRuntimeInSeconds": spec.max_runtime}
    if spec.spot:
        stopping["MaxWaitTimeInSeconds"] = spec.max_wait or spec.max_runtime
    request: Request = {
        "TrainingJobName": spec.name,
        "AlgorithmSpecification": {"TrainingImage": spec.image, "TrainingInputMode": "File"},
        "RoleArn": spec.role,
        "OutputDataConfig": {"S3OutputPath": spec.output},
        "ResourceConfig": {
            "InstanceType": spec.instances.type,
            "InstanceCount": spec.instances.count,
            "VolumeSizeInGB": spec.volume_gb,
        },
        "StoppingCondition": stopping,
        "HyperParameters": {key: str(value) for key, value in spec.hyperparameters.items()},
        "EnableManagedSpotTraining": spec.spot,
    }
    if spec.channels:
        request["InputDataConfig"] = [channel_config(channel) for channel in spec.channels]
    if spec.environment:
        request["Environment"] = dict(spec.environment)
    if spec.checkpoints:
        request["CheckpointConfig"] = {"S3Uri": spec.checkpoints}
    return request


def channel_config(channel: Channel) -> Request:
    """One entry of InputDataConfig."""
    config: Request = {
        "ChannelName": channel.name,
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": channel.uri,
                "S3DataDistributionType": channel.distribution,
            }
        },
    }
    if channel.content_type:
        config["ContentType"] = channel.content_type
    return config


def model_request(spec: ModelSpec) -> Request:
    """The CreateModel request of ``spec``."""
    container: Request = {"Image": spec.image}
    if spec.model_data:
        container["ModelDataUrl"] = spec.model_data
    if spec.environment:
        container["Environment"] = dict(spec.environment)
    return {"ModelName": spec.name, "ExecutionRoleArn": spec.role, "PrimaryContainer": container}


def endpoint_config_request(spec: EndpointSpec) -> Request:
    """The CreateEndpointConfig request of ``spec``: one variant taking all the traffic."""
    variant = {
        "VariantName": spec.variant,
        "ModelName": spec.model_name,
        "InstanceType": spec.instances.type,
        "InitialInstanceCount": spec.instances.count,
        "InitialVariantWeight": 1.0,
    }
    return {"EndpointConfigName": spec.config_name, "ProductionVariants": [variant]}


def endpoint_request(spec: EndpointSpec) -> Request:
    """The CreateEndpoint (or UpdateEndpoint) request of ``spec``."""
    return {"EndpointName": spec.name, "EndpointConfigName": spec.config_name}


def transform_job_request(spec: TransformSpec) -> Request:
    """The CreateTransformJob request of ``spec``."""
    transform_input: Request = {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": spec.input}},
        "SplitType": spec.split_type,
    }
    if spec.content_type:
        transform_input["ContentType"] = spec.content_type
    transform_output: Request = {"S3OutputPath": spec.output, "AssembleWith": spec.assemble_with}
    if spec.accept:
        transform_output["Accept"] = spec.accept
    request: Request = {
        "TransformJobName": spec.name,
        "ModelName": spec.model_name,
        "BatchStrategy": spec.strategy,
        "TransformInput": transform_input,
        "TransformOutput": transform_output,
        "TransformResources": {
            "InstanceType": spec.instances.type,
            "InstanceCount": spec.instances.count,
        },
        "DataProcessing": {"JoinSource": spec.join_source},
    }
    if spec.max_payload_mb is not None:
        request["MaxPayloadInMB"] = spec.max_payload_mb
    if spec.max_concurrent is not None:
        request["MaxConcurrentTransforms"] = spec.max_concurrent
    if spec.environment:
        request["Environment"] = dict(spec.environment)
    return request
