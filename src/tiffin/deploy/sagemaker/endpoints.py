"""Models, endpoint configs and endpoints: deploy (create or update), invoke, delete."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from tiffin.deploy.sagemaker.errors import call, is_not_found
from tiffin.deploy.sagemaker.logs import ENDPOINT_GROUP, LogFollower
from tiffin.deploy.sagemaker.requests import (
    EndpointSpec,
    ModelSpec,
    endpoint_config_request,
    endpoint_request,
    model_request,
)
from tiffin.deploy.sagemaker.session import Aws
from tiffin.deploy.sagemaker.waiting import Snapshot, State, Watched
from tiffin.errors import CloudCallFailed, DeployError

ENDPOINT_STATES = {
    "InService": State.SUCCEEDED,
    "Failed": State.FAILED,
    "UpdateRollbackFailed": State.FAILED,
    "OutOfService": State.FAILED,
    "Deleting": State.FAILED,
}


@dataclass(frozen=True)
class Deployment:
    """What :func:`deploy` did; an update names the config (and models) it replaced."""

    endpoint: str
    config: str
    model: str
    previous_config: str | None = None
    previous_models: tuple[str, ...] = ()

    @property
    def updating(self) -> bool:
        return self.previous_config is not None


def deploy(aws: Aws, model: ModelSpec, endpoint: EndpointSpec) -> Deployment:
    """CreateModel, CreateEndpointConfig, then CreateEndpoint or (when it exists) UpdateEndpoint.

    An endpoint that exists but is not InService is refused before anything is created;
    what this call created is deleted again when a later step is refused.
    """
    sagemaker = aws.client("sagemaker")
    current = describe_endpoint(sagemaker, endpoint.name)
    if current is not None and current.get("EndpointStatus") != "InService":
        raise DeployError(
            f"endpoint {endpoint.name} is {current.get('EndpointStatus')}: it cannot be updated",
            hint=f"wait for it (tiffin sagemaker status endpoint {endpoint.name} --wait), or "
            f"delete it (tiffin sagemaker delete {endpoint.name}), then deploy again",
        )
    previous = str(current["EndpointConfigName"]) if current is not None else None
    previous_models = tuple(config_models(sagemaker, previous)) if previous else ()
    call(sagemaker, "create_model", **model_request(model))
    created = [("delete_model", {"ModelName": model.name})]
    operation = "create_endpoint" if current is None else "update_endpoint"
    try:
        call(sagemaker, "create_endpoint_config", **endpoint_config_request(endpoint))
        created.insert(0, ("delete_endpoint_config", {"EndpointConfigName": endpoint.config_name}))
        call(sagemaker, operation, **endpoint_request(endpoint))
    except DeployError:
        for method, names in created:
            with suppress(DeployError):
                call(sagemaker, method, **names)
        raise
    return Deployment(endpoint.name, endpoint.config_name, model.name, previous, previous_models)


def describe_endpoint(sagemaker: Any, name: str) -> Mapping[str, Any] | None:
    """DescribeEndpoint, or None when there is no endpoint of that name."""
    try:
        return dict(call(sagemaker, "describe_endpoint", EndpointName=name))
    except CloudCallFailed as exc:
        if is_not_found(exc):
            return None
        raise


def endpoint_snapshot(description: Mapping[str, Any], config: str | None = None) -> Snapshot:
    """A DescribeEndpoint response as a :class:`Snapshot`.

    Waiting for an update to ``config``: an endpoint back InService on another config
    rolled the update back, which is a failure.
    """
    status = str(description.get("EndpointStatus", "Unknown"))
    state = ENDPOINT_STATES.get(status, State.RUNNING)
    reason = description.get("FailureReason") or None
    serving = description.get("EndpointConfigName")
    if state is State.SUCCEEDED and config is not None and serving != config:
        status = f"{status} on {serving} (update rolled back)"
        state = State.FAILED
    return Snapshot(status, state, failure_reason=reason, description=description)


def watch_endpoint(
    aws: Aws, name: str, config: str | None = None, since_ms: int | None = None
) -> Watched:
    """The endpoint ``name``; with ``config``, an update to that config is waited for."""
    sagemaker = aws.client("sagemaker")
    group = ENDPOINT_GROUP.format(name=name)
    return Watched(
        kind="endpoint",
        key="endpoint",
        name=name,
        describe=lambda: endpoint_snapshot(
            call(sagemaker, "describe_endpoint", EndpointName=name), config
        ),
        logs=LogFollower(aws.client("logs"), group, start_ms=since_ms),
        aws_hint=f"aws logs tail {group} --follow",
    )


def invoke(aws: Aws, endpoint: str, body: bytes, content_type: str, accept: str) -> bytes:
    """InvokeEndpoint; the response body as the model returned it."""
    runtime = aws.client("sagemaker-runtime")
    try:
        response = call(
            runtime,
            "invoke_endpoint",
            EndpointName=endpoint,
            Body=body,
            ContentType=content_type,
            Accept=accept,
        )
    except CloudCallFailed as exc:
        if exc.code == "ModelError":
            exc.hint = (
                f"the model answered with an error; its logs: aws logs tail "
                f"{ENDPOINT_GROUP.format(name=endpoint)}"
            )
        raise
    payload = response["Body"]
    return payload.read() if hasattr(payload, "read") else bytes(payload)


def endpoint_parts(aws: Aws, name: str) -> tuple[str, list[str]]:
    """The endpoint config of endpoint ``name`` and the models of that config."""
    sagemaker = aws.client("sagemaker")
    endpoint = describe_endpoint(sagemaker, name)
    if endpoint is None:
        raise DeployError(
            f"there is no endpoint {name} in {aws.region}",
            hint="list them with `aws sagemaker list-endpoints`, or pass --region",
        )
    config_name = str(endpoint["EndpointConfigName"])
    return config_name, config_models(sagemaker, config_name)


def config_models(sagemaker: Any, config_name: str) -> list[str]:
    """The models an endpoint config serves."""
    config = call(sagemaker, "describe_endpoint_config", EndpointConfigName=config_name)
    return [str(variant["ModelName"]) for variant in config.get("ProductionVariants", [])]


def delete(aws: Aws, endpoint: str | None, configs: list[str], models: list[str]) -> list[str]:
    """Delete the endpoint, then the configs, then the models; returns what was deleted."""
    sagemaker = aws.client("sagemaker")
    deleted: list[str] = []
    if endpoint is not None:
        call(sagemaker, "delete_endpoint", EndpointName=endpoint)
        deleted.append(f"endpoint {endpoint}")
    for config in configs:
        call(sagemaker, "delete_endpoint_config", EndpointConfigName=config)
        deleted.append(f"endpoint config {config}")
    for model in models:
        call(sagemaker, "delete_model", ModelName=model)
        deleted.append(f"model {model}")
    return deleted
