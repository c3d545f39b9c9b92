"""``tiffin configure aws``: set a profile's region (and keys) in ~/.aws, then check them."""

from __future__ import annotations

import os
import re
import sys

import click

from tiffin.cli.errors import handle_errors
from tiffin.errors import DeployError

REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
ACCESS_KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")


@click.group()
def configure() -> None:
    """Set up access to cloud services."""


@configure.command("aws")
@click.option("--profile", help="The profile to set [AWS_PROFILE, else default].")
@click.option("--region", help="Its region, e.g. eu-west-1.")
@click.option(
    "--access-key-id",
    help="Store this access key for the profile; the secret is "
    "asked for (hidden) unless --secret-access-key-stdin.",
)
@click.option("--secret-access-key-stdin", is_flag=True, help="Read the secret key from stdin.")
@click.option("--no-input", is_flag=True, help="Never prompt: set only what the flags give.")
@click.option(
    "--check/--no-check",
    default=True,
    show_default=True,
    help="Check the profile with STS GetCallerIdentity.",
)
@handle_errors
def aws(
    profile: str | None,
    region: str | None,
    access_key_id: str | None,
    secret_access_key_stdin: bool,
    no_input: bool,
    check: bool,
) -> None:
    """Set a profile and region in your AWS config (~/.aws/config), never in the project.

    Access keys are optional (SSO, `aws configure sso`, or an instance role need none);
    when given they go to ~/.aws/credentials, readable by you only. AWS_CONFIG_FILE and
    AWS_SHARED_CREDENTIALS_FILE are honoured. Then the profile is checked with STS.

    \b
      tiffin configure aws                                  asks for what it needs
      tiffin configure aws --profile ml --region eu-west-1 --no-input
      echo "$SECRET" | tiffin configure aws --profile ml --region eu-west-1 \\
          --access-key-id AKIAIOSFODNN7EXAMPLE --secret-access-key-stdin --no-input
    """
    from tiffin.deploy import aws_config

    interactive = not (no_input or secret_access_key_stdin)
    if profile is None:
        default = os.environ.get("AWS_PROFILE") or "default"
        profile = click.prompt("AWS profile", default=default) if interactive else default
    config = aws_config.config_path()
    section = aws_config.config_section(profile)
    region = region or ask_region(aws_config.read_value(config, section, "region"), interactive)
    if not REGION.match(region):
        raise DeployError(f"{region!r} is not an AWS region", hint="e.g. us-east-1, eu-west-1")
    keys = ask_keys(access_key_id, secret_access_key_stdin, interactive, profile)
    aws_config.write_values(config, section, {"region": region}, private=False)
    click.echo(f"tiffin: profile {profile}: region {region} in {config}", err=True)
    if keys:
        path = aws_config.credentials_path()
        aws_config.write_values(path, profile, keys, private=True)
        click.echo(f"tiffin: profile {profile}: access key in {path} (mode 600)", err=True)
    if check:
        check_profile(profile, region)


def ask_region(current: str | None, interactive: bool) -> str:
    """The region: asked for (the current one as default), or the current one."""
    if interactive:
        return str(click.prompt("AWS region", default=current or "us-east-1"))
    if current:
        return current
    raise DeployError("no AWS region given", hint="pass --region, e.g. --region eu-west-1")


def ask_keys(
    access_key_id: str | None, from_stdin: bool, interactive: bool, profile: str
) -> dict[str, str]:
    """The access key to store, or nothing; the secret is never echoed."""
    if (
        access_key_id is None
        and interactive
        and click.confirm(
            f"Store an access key for profile {profile}? (not needed with SSO or a role)",
            default=False,
        )
    ):
        access_key_id = str(click.prompt("AWS access key ID"))
    if access_key_id is None:
        return {}
    if not ACCESS_KEY_ID.match(access_key_id):
        raise DeployError(
            f"{access_key_id!r} is not an AWS access key ID",
            hint="it looks like AKIAIOSFODNN7EXAMPLE",
        )
    if from_stdin:
        secret = sys.stdin.readline().strip()
    elif interactive:
        secret = str(click.prompt("AWS secret access key", hide_input=True))
    else:
        raise DeployError(
            "--access-key-id needs its secret key", hint="pipe it in with --secret-access-key-stdin"
        )
    if not secret:
        raise DeployError("the secret access key is empty")
    return {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret}


def check_profile(profile: str, region: str) -> None:
    """STS GetCallerIdentity with the profile; prints the account and ARN.

    The default profile is checked as AWS tools use it, after the environment's keys; a
    named profile alone.
    """
    from tiffin.deploy.sagemaker.errors import call
    from tiffin.deploy.sagemaker.session import AwsSettings, open_session
    from tiffin.errors import NoCredentials

    named = None if profile == "default" else profile
    try:
        session = open_session(AwsSettings(region=region, profile=named))
    except NoCredentials as exc:
        raise DeployError(
            f"profile {profile} has no credentials",
            hint="store keys (--access-key-id), or set up SSO: "
            f"aws configure sso --profile {profile}",
        ) from exc
    identity = call(session.client("sts"), "get_caller_identity")
    click.echo(
        f"tiffin: profile {profile} works: account {identity['Account']}, {identity['Arn']}",
        err=True,
    )
    if profile != "default":
        click.echo(f"tiffin: use it with --profile {profile} or AWS_PROFILE={profile}", err=True)
