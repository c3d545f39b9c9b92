"""`tiffin configure aws`: the profile and region go to the user's AWS config, keys to the
credentials file (owner-only), other content is kept, never a project; checked with STS
on moto.
"""

from __future__ import annotations

import configparser
import stat

import pytest
from click.testing import CliRunner

from tiffin.cli.main import cli

EXISTING_CONFIG = """\
# my settings: keep this comment
[default]
region = us-west-2
output = json

[profile other]
region = ap-south-1
"""


@pytest.fixture
def aws_home(aws_env, tmp_path, monkeypatch):
    """AWS config files in a home-like directory outside any project."""
    home = tmp_path / "home" / ".aws"
    home.mkdir(parents=True)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return home


def configure(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["configure", "aws", *args], input=input)


def read(path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read(path)
    return parser


def test_sets_a_new_profile_with_keys_and_checks_it_with_sts(aws_home):
    (aws_home / "config").write_text(EXISTING_CONFIG)
    result = configure("--profile", "ml", "--region", "eu-west-1", "--access-key-id",
                       "AKIAIOSFODNN7EXAMPLE", "--secret-access-key-stdin",
                       input="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")  # fmt: skip

    assert result.exit_code == 0, result.output
    config = (aws_home / "config").read_text()
    assert config.startswith(EXISTING_CONFIG)  # comments and other profiles kept as they were
    assert read(aws_home / "config").get("profile ml", "region") == "eu-west-1"
    credentials = aws_home / "credentials"
    assert read(credentials).get("ml", "aws_secret_access_key") == (
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")  # fmt: skip
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert "wJalrXUtnFEMI" not in result.output  # the secret is never echoed
    assert "profile ml works: account 123456789012" in result.stderr
    assert "AWS_PROFILE=ml" in result.stderr


def test_changes_the_region_of_an_existing_profile_in_place(aws_home):
    (aws_home / "config").write_text(EXISTING_CONFIG)
    result = configure("--profile", "default", "--region", "eu-central-1", "--no-input")
    assert result.exit_code == 0, result.output
    assert (aws_home / "config").read_text() == EXISTING_CONFIG.replace(
        "region = us-west-2", "region = eu-central-1")  # fmt: skip
    assert not (aws_home / "credentials").exists()


def test_asks_for_what_it_needs_with_the_secret_hidden(aws_home):
    answers = "team\neu-north-1\ny\nAKIAIOSFODNN7EXAMPLE\ns3cr3t-key\n"
    result = configure(input=answers)
    assert result.exit_code == 0, result.output
    assert read(aws_home / "config").get("profile team", "region") == "eu-north-1"
    assert read(aws_home / "credentials").get("team", "aws_access_key_id") == (
        "AKIAIOSFODNN7EXAMPLE")  # fmt: skip
    assert "s3cr3t-key" not in result.output
    assert "profile team works" in result.stderr


def test_keeps_the_current_region_when_none_is_given(aws_home):
    (aws_home / "config").write_text(EXISTING_CONFIG)
    result = configure("--profile", "other", "--no-input", "--no-check")
    assert result.exit_code == 0, result.output
    assert "profile other: region ap-south-1" in result.stderr


@pytest.mark.parametrize(("args", "message", "hint"), [
    (["--profile", "x", "--no-input"], "no AWS region given", "--region"),
    (["--profile", "x", "--region", "Europe", "--no-input"], "'Europe' is not an AWS region",
     "eu-west-1"),
    (["--profile", "x", "--region", "eu-west-1", "--access-key-id", "AKIAIOSFODNN7EXAMPLE",
      "--no-input"], "--access-key-id needs its secret key", "--secret-access-key-stdin"),
    (["--profile", "x", "--region", "eu-west-1", "--access-key-id", "my key", "--no-input"],
     "'my key' is not an AWS access key ID", "AKIA"),
])  # fmt: skip
def test_bad_input_writes_nothing(aws_home, args, message, hint):
    result = configure(*args)
    assert result.exit_code == 9
    error, hint_line = result.stderr.splitlines()
    assert error == f"error: {message}"
    assert hint_line.startswith("hint: ") and hint in hint_line
    assert not (aws_home / "config").exists() and not (aws_home / "credentials").exists()


def test_refuses_to_write_into_a_project(aws_env, tmp_path, monkeypatch):
    project = tmp_path / "churn"
    project.mkdir()
    (project / "tiffin.yaml").write_text("name: churn\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(project / ".aws" / "config"))
    result = configure("--profile", "ml", "--region", "eu-west-1", "--no-input")
    assert result.exit_code == 9
    assert f"refusing to write AWS settings to {project / '.aws' / 'config'}" in result.stderr
    assert "(which has tiffin.yaml)" in result.stderr
    assert not (project / ".aws").exists()


def test_a_failing_check_shows_the_aws_error(aws_home, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    result = configure("--profile", "default", "--region", "eu-west-1", "--no-input")
    assert result.exit_code == 9
    assert "error: cannot reach STS" in result.stderr
    assert read(aws_home / "config").get("default", "region") == "eu-west-1"  # still written


def test_a_named_profile_without_credentials_says_how_to_add_them(aws_home):
    result = configure("--profile", "ml", "--region", "eu-west-1", "--no-input")
    assert result.exit_code == 9
    assert result.stderr.splitlines()[1:] == [
        "error: profile ml has no credentials",
        "hint: store keys (--access-key-id), or set up SSO: aws configure sso --profile ml",
    ]
