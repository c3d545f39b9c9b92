"""A boto3 session and its clients, from the standard AWS chain.

Credentials and region come from where the AWS CLI finds them (environment, profile,
SSO, instance role); ``--region``, ``--profile`` and ``--endpoint-url`` override them,
and ``AWS_REGION`` / ``AWS_ENDPOINT_URL`` are honoured. Missing settings are reported
before the first call, naming what is missing and how to set it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tiffin.deploy.sagemaker.errors import missing_region, no_credentials, translated
from tiffin.errors import DeployError

BOTO3_MISSING = "needs boto3: pip install 'tiffin[aws]'"


@dataclass(frozen=True)
class AwsSettings:
    """What the user chose on the command line; None means "from the AWS chain"."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None


class Aws:
    """A checked boto3 session: it has a region and credentials; makes clients."""

    def __init__(self, session: Any, region: str, endpoint_url: str | None) -> None:
        self.session = session
        self.region = region
        self.endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        """The boto3 client of ``service`` (one per service), pointed at ``endpoint_url``."""
        if service not in self._clients:
            with translated(service, "client setup"):
                self._clients[service] = self.session.client(
                    service, region_name=self.region, endpoint_url=self.endpoint_url
                )
        return self._clients[service]


def import_boto3() -> Any:
    """boto3, or a :class:`DeployError` saying how to install it."""
    try:
        import boto3
    except ImportError as exc:
        raise DeployError(BOTO3_MISSING) from exc
    return boto3


def open_session(settings: AwsSettings, environ: Mapping[str, str] | None = None) -> Aws:
    """A session with a region and credentials, or a :class:`DeployError` naming what is missing."""
    environ = os.environ if environ is None else environ
    boto3 = import_boto3()
    import botocore.exceptions as bce

    try:
        session = boto3.Session(profile_name=settings.profile)
    except bce.ProfileNotFound as exc:
        raise DeployError(
            f"AWS profile {settings.profile!r} is not in your AWS config",
            hint="create it with `tiffin configure aws --profile NAME`, or check AWS_CONFIG_FILE",
        ) from exc
    region = settings.region or session.region_name or environ.get("AWS_REGION")
    if not region:
        raise missing_region()
    with translated("sts", "credentials"):
        credentials = session.get_credentials()
    if credentials is None:
        raise no_credentials()
    endpoint_url = settings.endpoint_url or environ.get("AWS_ENDPOINT_URL") or None
    if endpoint_url and not endpoint_url.startswith(("http://", "https://")):
        raise DeployError(
            f"endpoint URL {endpoint_url!r} is not an http(s) URL",
            hint="e.g. --endpoint-url http://127.0.0.1:5000 (or unset AWS_ENDPOINT_URL)",
        )
    return Aws(session, region, endpoint_url)
