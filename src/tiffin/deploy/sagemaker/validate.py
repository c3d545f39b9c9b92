"""Refuse bad input before any AWS call: role ARNs, instance types, S3 URIs, names, channels.

Each check returns the value it accepts (normalised where that is safe) or raises a
:class:`DeployError` whose message quotes the value and whose hint shows a good one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone

from tiffin.errors import DeployError, setting

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
INSTANCE_FAMILIES = ("c", "m", "r", "t", "g", "p", "inf", "trn", "x", "z", "dl", "hpc")
INSTANCE_TYPE = re.compile(
    rf"^ml\.(?:{'|'.join(INSTANCE_FAMILIES)})\d+[a-z-]*\.(?:medium|large|\d*xlarge)$"
)
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
RESOURCE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
CHANNEL_NAME = re.compile(r"^[A-Za-z0-9.\-_]{1,64}$")
DISTRIBUTIONS = ("FullyReplicated", "ShardedByS3Key")
TIMESTAMP_LENGTH = len("-20240101-120000-123")


def role_arn(value: str) -> str:
    """An IAM role ARN (``arn:aws:iam::123456789012:role/NAME``)."""
    if not ROLE_ARN.match(value):
        raise DeployError(
            f"{setting('role')} {value!r} is not an IAM role ARN",
            hint="pass the ARN of a role SageMaker can assume, e.g. "
            "arn:aws:iam::123456789012:role/SageMakerExecution (IAM console -> Roles)",
        )
    return value


def instance_type(value: str, option: str = "{=instance_type}") -> str:
    """A SageMaker instance type such as ``ml.m5.large``."""
    if INSTANCE_TYPE.match(value):
        return value
    if value in {"local", "local_gpu"}:
        hint = "to run on this machine use `tiffin train`, `tiffin serve` or `tiffin batch`"
    elif INSTANCE_TYPE.match(f"ml.{value}"):
        hint = f"SageMaker instance types start with 'ml.': did you mean 'ml.{value}'?"
    else:
        hint = "SageMaker instance types look like ml.m5.large, ml.c5.2xlarge, ml.g5.xlarge"
    raise DeployError(f"{option} {value!r} is not a SageMaker instance type", hint=hint)


def s3_uri(value: str, option: str) -> str:
    """``s3://BUCKET[/PREFIX]`` with a valid bucket name."""
    if not value.startswith("s3://"):
        raise DeployError(f"{option} {value!r} is not an S3 URI", hint="write s3://BUCKET/PREFIX")
    bucket = value[len("s3://") :].partition("/")[0]
    if not bucket:
        raise DeployError(f"{option} {value!r} has no bucket", hint="write s3://BUCKET/PREFIX")
    if not BUCKET.match(bucket):
        raise DeployError(
            f"{option} {value!r}: {bucket!r} is not a valid bucket name",
            hint="bucket names are 3-63 characters: lowercase letters, digits, '.' and '-'",
        )
    return value


def channel(name: str, uri: str) -> tuple[str, str]:
    """A training channel: a name and an S3 prefix (a local directory is refused)."""
    if not CHANNEL_NAME.match(name):
        raise DeployError(
            f"{setting('channel')} name {name!r} is not valid",
            hint="channel names are up to 64 letters, digits, '.', '-' or '_'",
        )
    if not uri.startswith("s3://"):
        raise DeployError(
            f"{setting('channel')} {name}={uri} is not an S3 prefix",
            hint=f"upload the data first (aws s3 cp --recursive {uri} s3://BUCKET/{name}/) "
            f"and pass {setting('channel')} {name}=s3://BUCKET/{name}/",
        )
    return name, s3_uri(uri, f"{setting('channel')} {name}")


def per_channel(values: Mapping[str, str], channels: Mapping[str, str], option: str) -> None:
    """``--content-type`` / ``--distribution`` may only name channels that are given."""
    for name in values:
        if name not in channels:
            known = ", ".join(channels) or "none"
            raise DeployError(
                f"{option} {name}=... names no channel (channels: {known})",
                hint=f"add {setting('channel')} {name}=s3://BUCKET/PREFIX, or fix the name",
            )


def distribution(name: str, value: str) -> str:
    """How a channel's S3 objects are spread over the instances."""
    if value not in DISTRIBUTIONS:
        raise DeployError(
            f"{setting('distribution')} {name}={value} is not one of {', '.join(DISTRIBUTIONS)}",
            hint=f"{setting('distribution')} {name}=ShardedByS3Key gives each instance a share "
            "of the data",
        )
    return value


def resource_name(value: str, what: str) -> str:
    """A SageMaker job, model or endpoint name: up to 63 letters, digits and '-'."""
    if not RESOURCE_NAME.match(value):
        raise DeployError(
            f"{what} name {value!r} is not valid",
            hint="use up to 63 letters, digits and '-', starting with a letter or digit",
        )
    return value


def base_name(source: str) -> str:
    """A valid name from an image URI or a name: ``.../churn:1`` -> ``churn``."""
    base = source.rsplit("/", 1)[-1].split("@")[0].split(":")[0]
    base = re.sub(r"[^a-zA-Z0-9]+", "-", base).strip("-") or "tiffin"
    return base[: 63 - TIMESTAMP_LENGTH].rstrip("-")


def default_name(source: str, now: datetime | None = None) -> str:
    """A fresh, valid name from an image URI or a name: ``churn-20240101-120000-123``."""
    base = base_name(source)
    now = now or datetime.now(timezone.utc)
    return f"{base}-{now:%Y%m%d-%H%M%S}-{now.microsecond // 1000:03d}"


ECR_REPOSITORY = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")


def repository_name(value: str) -> str:
    """An ECR repository name: lowercase components joined by '/'."""
    if not (2 <= len(value) <= 256 and ECR_REPOSITORY.match(value)):
        raise DeployError(
            f"{value!r} is not a valid ECR repository name",
            hint="use lowercase letters, digits, '.', '_', '-' and '/', e.g. {=repository} churn",
        )
    return value


def spot_wait(max_runtime: int, max_wait: int | None) -> int:
    """The longest a spot job may wait and run: at least its maximum runtime."""
    if max_wait is None:
        return max_runtime
    if max_wait < max_runtime:
        raise DeployError(
            f"{setting('max_wait')} {max_wait} is shorter than "
            f"{setting('max_runtime')} {max_runtime}",
            hint="a spot job's {=max_wait} counts waiting for capacity plus running",
        )
    return max_wait
