"""Command-line values of `tiffin sagemaker` turned into checked specs, before any AWS call.

Every function raises :class:`DeployError` on bad input, so a typo never reaches AWS
and nothing is created when one value is wrong.
"""

from __future__ import annotations

from tiffin.cli.train import parse_pairs
from tiffin.deploy.sagemaker import validate
from tiffin.deploy.sagemaker.requests import (
    Channel,
    EndpointSpec,
    Instances,
    ModelSpec,
    TrainingSpec,
    TransformSpec,
)
from tiffin.errors import DeployError, TiffinError

ROLE_HINT = "pass --role ARN or set TIFFIN_SAGEMAKER_ROLE"


def pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """KEY=VALUE options as a dict; a malformed one is a :class:`DeployError`."""
    try:
        return parse_pairs(values, option)
    except TiffinError as exc:
        raise DeployError(exc.template, hint=exc.hint_template) from exc


def instances(instance_type: str, count: int) -> Instances:
    """``--instance-type`` and ``--instance-count``."""
    return Instances(validate.instance_type(instance_type), count)


def channels(
    given: tuple[str, ...], content_types: tuple[str, ...], distributions: tuple[str, ...]
) -> tuple[Channel, ...]:
    """``--channel``, ``--content-type`` and ``--distribution`` as checked channels."""
    uris = dict(validate.channel(name, uri) for name, uri in pairs(given, "--channel").items())
    types = pairs(content_types, "--content-type")
    spreads = pairs(distributions, "--distribution")
    validate.per_channel(types, uris, "--content-type")
    validate.per_channel(spreads, uris, "--distribution")
    return tuple(
        Channel(
            name,
            uri,
            types.get(name),
            validate.distribution(name, spreads.get(name, "FullyReplicated")),
        )
        for name, uri in uris.items()
    )


def optional_s3(value: str | None, option: str) -> str | None:
    """An optional S3 URI option."""
    return validate.s3_uri(value, option) if value else None


def training_spec(
    *,
    image: str,
    role: str,
    output: str,
    channels_given: tuple[str, ...] = (),
    content_types: tuple[str, ...] = (),
    distributions: tuple[str, ...] = (),
    hyperparameters: tuple[str, ...] = (),
    env: tuple[str, ...] = (),
    name: str | None = None,
    instance_type: str = "ml.m5.large",
    instance_count: int = 1,
    volume_size: int = 30,
    max_runtime: int = 86400,
    spot: bool = False,
    max_wait: int | None = None,
    checkpoints: str | None = None,
) -> TrainingSpec:
    """The training job the ``train`` command's options describe."""
    return TrainingSpec(
        name=validate.resource_name(name, "job") if name else validate.default_name(image),
        image=image,
        role=validate.role_arn(role),
        output=validate.s3_uri(output, "--output"),
        instances=instances(instance_type, instance_count),
        volume_gb=volume_size,
        channels=channels(channels_given, content_types, distributions),
        hyperparameters=pairs(hyperparameters, "--hp"),
        environment=pairs(env, "--env"),
        max_runtime=max_runtime,
        spot=spot,
        max_wait=validate.spot_wait(max_runtime, max_wait) if spot else None,
        checkpoints=optional_s3(checkpoints, "--checkpoints"),
    )


def endpoint_specs(
    *,
    image: str,
    role: str,
    name: str | None = None,
    model_data: str | None = None,
    env: tuple[str, ...] = (),
    instance_type: str = "ml.m5.large",
    instance_count: int = 1,
    variant: str = "AllTraffic",
) -> tuple[ModelSpec, EndpointSpec]:
    """The model and endpoint the ``deploy`` command's options describe.

    The endpoint is named after the image unless ``name`` is given; the model and the
    endpoint config get the endpoint's name and a timestamp.
    """
    endpoint = validate.resource_name(name or validate.base_name(image), "endpoint")
    model = ModelSpec(
        name=validate.default_name(endpoint),
        image=image,
        role=validate.role_arn(role),
        model_data=optional_s3(model_data, "--model-data"),
        environment=pairs(env, "--env"),
    )
    spec = EndpointSpec(
        endpoint, model.name, model.name, instances(instance_type, instance_count), variant
    )
    return model, spec


def transform_model(
    model: str | None, image: str | None, role: str | None, model_data: str | None, name: str
) -> ModelSpec | None:
    """The model to create for transform job ``name`` (IMAGE), or None (``--model``)."""
    if (model is None) == (image is None):
        raise DeployError(
            "give exactly one of IMAGE and --model NAME",
            hint="IMAGE (with --role, --model-data) creates a model for the job; --model "
            "names an existing one (deploy prints it)",
        )
    if image is None:
        validate.resource_name(str(model), "model")
        return None
    if role is None:
        raise DeployError("a model of IMAGE needs an IAM role", hint=ROLE_HINT)
    return ModelSpec(name, image, validate.role_arn(role), optional_s3(model_data, "--model-data"))


def transform_specs(
    *,
    input_uri: str,
    output: str,
    model: str | None = None,
    image: str | None = None,
    role: str | None = None,
    model_data: str | None = None,
    name: str | None = None,
    env: tuple[str, ...] = (),
    instance_type: str = "ml.m5.large",
    instance_count: int = 1,
    content_type: str | None = "text/csv",
    accept: str | None = None,
    split_type: str = "Line",
    strategy: str = "MultiRecord",
    assemble_with: str = "Line",
    join_source: str = "None",
    max_payload: int | None = None,
    max_concurrent: int | None = None,
) -> tuple[TransformSpec, ModelSpec | None]:
    """The transform job the ``transform`` command's options describe, and the model to
    create for it first when it is given IMAGE rather than ``--model``."""
    job = name or validate.default_name(model or image or "transform")
    created = transform_model(model, image, role, model_data, validate.resource_name(job, "job"))
    spec = TransformSpec(
        name=job,
        model_name=created.name if created else str(model),
        input=validate.s3_uri(input_uri, "--input"),
        output=validate.s3_uri(output, "--output"),
        instances=instances(instance_type, instance_count),
        content_type=content_type,
        accept=accept or content_type,
        split_type=split_type,
        strategy=strategy,
        assemble_with=assemble_with,
        join_source=join_source,
        max_payload_mb=max_payload,
        max_concurrent=max_concurrent,
        environment=pairs(env, "--env"),
    )
    return spec, created
