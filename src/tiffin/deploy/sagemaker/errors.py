"""Translate botocore's exceptions into tiffin's errors where AWS is called, keeping the cause.

A user sees ``SageMaker CreateTrainingJob failed: ValidationException: ...`` and a hint,
never a botocore traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tiffin.errors import CloudCallFailed, DeployError, NoCredentials

SERVICE_NAMES = {
    "sagemaker": "SageMaker",
    "sagemaker-runtime": "SageMaker Runtime",
    "ecr": "ECR",
    "logs": "CloudWatch Logs",
    "sts": "STS",
    "s3": "S3",
}
PERMISSIONS_HINT = (
    "the credentials in use lack a permission: see 'IAM permissions' in docs/deploy.md"
)
HINTS_BY_CODE = {
    "AccessDenied": PERMISSIONS_HINT,
    "AccessDeniedException": PERMISSIONS_HINT,
    "UnauthorizedOperation": PERMISSIONS_HINT,
    "ExpiredToken": "the credentials have expired: refresh them (e.g. `aws sso login`) and retry",
    "ExpiredTokenException": "the credentials have expired: refresh them and retry",
    "InvalidClientTokenId": "the access key is not valid: check AWS_ACCESS_KEY_ID or your profile",
    "UnrecognizedClientException": "the access key is not valid: check your credentials",
    "SignatureDoesNotMatch": "the secret key does not match the access key",
    "ResourceLimitExceeded": "a service quota is reached: use another instance type, stop "
    "something, or ask for a quota increase in the Service Quotas console",
    "ThrottlingException": "AWS is throttling these calls: retry in a moment",
}
CREDENTIALS_HINT = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass {=profile} NAME (or set AWS_PROFILE), "
    "or run `tiffin configure aws`"
)


def no_credentials() -> NoCredentials:
    """The AWS chain (environment, profile, SSO, instance role) gave no credentials."""
    return NoCredentials("no AWS credentials found", hint=CREDENTIALS_HINT)


def service_label(service: str) -> str:
    """``sagemaker`` -> ``SageMaker``."""
    return SERVICE_NAMES.get(service, service)


def operation_label(method: str) -> str:
    """``create_training_job`` -> ``CreateTrainingJob``."""
    return "".join(part.capitalize() for part in method.split("_"))


def service_of(client: Any) -> str:
    """The service a boto3 client (or a test double with the same ``meta``) talks to."""
    try:
        return str(client.meta.service_model.service_name)
    except AttributeError:
        return "aws"


def call(client: Any, method: str, **kwargs: Any) -> Any:
    """``client.method(**kwargs)``, raising :class:`DeployError` instead of botocore errors."""
    with translated(service_of(client), operation_label(method)):
        return getattr(client, method)(**kwargs)


@contextmanager
def translated(service: str, operation: str) -> Iterator[None]:
    """Re-raise botocore's exceptions raised inside as :class:`DeployError` subclasses."""
    try:
        import botocore.exceptions as bce
    except ImportError:  # without boto3 nothing inside can raise botocore errors
        yield
        return
    try:
        yield
    except bce.ClientError as exc:
        raise client_error(service, operation, exc) from exc
    except (bce.NoCredentialsError, bce.PartialCredentialsError) as exc:
        raise no_credentials() from exc
    except bce.NoRegionError as exc:
        raise missing_region() from exc
    except (bce.EndpointConnectionError, bce.ConnectTimeoutError) as exc:
        raise DeployError(
            f"cannot reach {service_label(service)}: {exc}",
            hint="check the network, {=region}, and {=endpoint_url} / AWS_ENDPOINT_URL",
        ) from exc
    except (bce.SSOError, bce.TokenRetrievalError) as exc:
        raise DeployError(f"AWS SSO login needed: {exc}", hint="run `aws sso login`") from exc
    except bce.BotoCoreError as exc:
        label = f"{service_label(service)} {operation}"
        raise DeployError(f"{label} failed: {exc}") from exc


def client_error(service: str, operation: str, exc: Any) -> CloudCallFailed:
    """The :class:`CloudCallFailed` of a botocore ``ClientError``."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code") or "Unknown")
    message = str(error.get("Message") or exc)
    return CloudCallFailed(
        service_label(service),
        operation,
        code,
        message,
        hint=HINTS_BY_CODE.get(code),
    )


def missing_region() -> DeployError:
    """The error for a session without a region."""
    return DeployError(
        "no AWS region: pass {=region}, set AWS_REGION, or run `tiffin configure aws`",
        hint="e.g. {=region} eu-west-1",
    )


def is_not_found(error: CloudCallFailed) -> bool:
    """Whether SageMaker said the named resource does not exist."""
    return error.code in {"ValidationException", "ResourceNotFound"} and (
        "Could not find" in error.reason or "does not exist" in error.reason
    )
