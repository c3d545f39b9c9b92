"""Push a local image to Amazon ECR: create the repository, log in, tag and push.

The login uses the user name and password of ECR's authorization token, passed to the
engine on stdin (never on a command line). ``registry`` sends the image to another
registry than the token's (a local registry standing in for ECR in tests), still
logging in with the token's user and password.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlparse

from tiffin.build.engines import Engine
from tiffin.build.engines.base import CliEngine
from tiffin.build.process import LineSink
from tiffin.build.push import push_image, split_reference
from tiffin.deploy.sagemaker.errors import call
from tiffin.deploy.sagemaker.session import Aws
from tiffin.deploy.sagemaker.validate import repository_name
from tiffin.errors import CloudCallFailed, DeployError


@dataclass(frozen=True)
class RegistryLogin:
    """Where to log in and as whom (the password stays out of ``repr``)."""

    registry: str
    username: str
    password: str = ""

    def __repr__(self) -> str:
        return f"RegistryLogin(registry={self.registry!r}, username={self.username!r})"


Login = Callable[[Engine, RegistryLogin, bool], None]


def repository_uri(ecr: Any, name: str) -> str | None:
    """The URI of ECR repository ``name``, or None when it does not exist."""
    try:
        found = call(ecr, "describe_repositories", repositoryNames=[name])
    except CloudCallFailed as exc:
        if exc.code != "RepositoryNotFoundException":
            raise
        return None
    return str(found["repositories"][0]["repositoryUri"])


def ensure_repository(ecr: Any, name: str) -> str:
    """The URI of ECR repository ``name``, created when it does not exist."""
    uri = repository_uri(ecr, name)
    if uri is not None:
        return uri
    created = call(ecr, "create_repository", repositoryName=name)
    return str(created["repository"]["repositoryUri"])


def authorization(ecr: Any) -> RegistryLogin:
    """ECR's registry host, user and password, from GetAuthorizationToken."""
    data = call(ecr, "get_authorization_token")["authorizationData"][0]
    decoded = base64.b64decode(data["authorizationToken"]).decode()
    username, _, password = decoded.partition(":")
    endpoint = str(data["proxyEndpoint"])
    return RegistryLogin(urlparse(endpoint).netloc or endpoint, username, password)


def engine_login(engine: Engine, login: RegistryLogin, tls_verify: bool) -> None:
    """``ENGINE login --username USER --password-stdin REGISTRY``."""
    if not isinstance(engine, CliEngine):
        raise DeployError(f"the {engine.name} engine cannot log in to a registry")
    argv = [engine.executable, "login", "--username", login.username, "--password-stdin"]
    if not tls_verify and engine.name in {"podman", "buildah"}:
        argv.append("--tls-verify=false")
    argv.append(login.registry)
    try:
        done = subprocess.run(
            argv, input=login.password, capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DeployError(f"{engine.name} login to {login.registry} failed: {exc}") from exc
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip().splitlines()
        raise DeployError(
            f"{engine.name} login to {login.registry} failed: {output[-1] if output else ''}",
            hint="a registry without TLS needs --no-tls-verify",
        )


def push_to_ecr(
    aws: Aws,
    engine: Engine,
    image: str,
    *,
    repository: str | None = None,
    tag: str | None = None,
    registry: str | None = None,
    tls_verify: bool = True,
    login: Login = engine_login,
    on_line: LineSink | None = None,
) -> str:
    """Push local ``image`` to ECR (or ``registry``); returns the pushed image's URI."""
    _, own_repository, own_tag = split_reference(image)
    name = repository_name(repository or own_repository.removeprefix("library/"))
    if not engine.image_exists(image):
        raise DeployError(
            f"there is no image {image!r} in {engine.name}'s local storage",
            hint="build it first: tiffin build PATH --tag IMAGE",
        )
    ecr = aws.client("ecr")
    ensure_repository(ecr, name)
    credentials = authorization(ecr)
    if registry:
        credentials = replace(credentials, registry=registry)
    login(engine, credentials, tls_verify)
    target = f"{credentials.registry}/{name}:{tag or own_tag or 'latest'}"
    return push_image(engine, image, target, tls_verify=tls_verify, on_line=on_line)


def resolve_image(aws: Aws, image: str) -> str:
    """The URI SageMaker pulls: ``image`` itself when it names a registry, else the URI of
    the ECR repository of that name in this account and region (``churn:1`` ->
    ``123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn:1``)."""
    registry, repository, tag = split_reference(image)
    if registry not in {None, "localhost"}:
        return image
    name = repository.removeprefix("library/")
    uri = repository_uri(aws.client("ecr"), name)
    if uri is None:
        raise DeployError(
            f"{image!r} is not in ECR: there is no repository {name!r} in {aws.region}",
            hint=f"push it first: tiffin sagemaker push {image}",
        )
    return f"{uri}:{tag or 'latest'}"
