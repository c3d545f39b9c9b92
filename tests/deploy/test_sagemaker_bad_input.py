"""Bad input to `tiffin sagemaker`: one readable line and a hint, exit status 9, no
traceback, and (for input refused before any call) nothing created in moto.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from aws import ROLE_ARN
from servers import free_port
from tiffin.cli.main import cli

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1"
OUTPUT = "s3://tiffin-churn/models/"


def run(*args: str):
    return CliRunner().invoke(cli, ["sagemaker", *args])


def assert_refused(result, message: str, hint: str) -> None:
    """Exit 9 with exactly ``error: MESSAGE`` and ``hint: ...HINT...``, no traceback."""
    assert result.exit_code == 9, result.output
    error, hint_line = result.stderr.splitlines()
    assert error == f"error: {message}"
    assert hint_line.startswith("hint: ") and hint in hint_line
    assert result.exception is None or isinstance(result.exception, SystemExit)


def assert_nothing_created(aws) -> None:
    sagemaker = aws("sagemaker")
    assert sagemaker.list_training_jobs()["TrainingJobSummaries"] == []
    assert sagemaker.list_transform_jobs()["TransformJobSummaries"] == []
    assert sagemaker.list_models()["Models"] == []
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert sagemaker.list_endpoints()["Endpoints"] == []


TRAIN_CASES = [
    (["--role", "SageMakerRole"], "--role 'SageMakerRole' is not an IAM role ARN",
     "arn:aws:iam::123456789012:role/"),
    (["--role", "arn:aws:iam::123456789012:user/alice"],
     "--role 'arn:aws:iam::123456789012:user/alice' is not an IAM role ARN", "role/"),
    (["--instance-type", "m5.large"], "--instance-type 'm5.large' is not a SageMaker instance "
     "type", "did you mean 'ml.m5.large'?"),
    (["--instance-type", "ml.m5.huge"], "--instance-type 'ml.m5.huge' is not a SageMaker "
     "instance type", "ml.m5.large, ml.c5.2xlarge"),
    (["--instance-type", "local"], "--instance-type 'local' is not a SageMaker instance type",
     "`tiffin train`"),
    (["--output", "s3:///models/"], "--output 's3:///models/' has no bucket", "s3://BUCKET/"),
    (["--output", "./models"], "--output './models' is not an S3 URI", "s3://BUCKET/PREFIX"),
    (["--channel", "train=churn/sample_data/train"],
     "--channel train=churn/sample_data/train is not an S3 prefix",
     "aws s3 cp --recursive churn/sample_data/train s3://BUCKET/train/"),
    (["--channel", "train=s3:///data/"], "--channel train 's3:///data/' has no bucket",
     "s3://BUCKET/"),
    (["--channel", "train=s3://tiffin-churn/t/", "--content-type", "test=text/csv"],
     "--content-type test=... names no channel (channels: train)", "--channel test="),
    (["--channel", "train=s3://tiffin-churn/t/", "--distribution", "train=Sharded"],
     "--distribution train=Sharded is not one of FullyReplicated, ShardedByS3Key",
     "ShardedByS3Key"),
    (["--hp", "epochs"], "--hp 'epochs' is not NAME=VALUE", "epochs=10"),
    (["--spot", "--max-runtime", "7200", "--max-wait", "3600"],
     "--max-wait 3600 is shorter than --max-runtime 7200", "spot"),
    (["--job-name", "churn_1"], "job name 'churn_1' is not valid", "63 letters"),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "message", "hint"), TRAIN_CASES,
                         ids=[" ".join(case[0]) for case in TRAIN_CASES])  # fmt: skip
def test_train_refuses_bad_input_before_any_call(aws_env, aws, extra, message, hint):
    base = {"--role": ROLE_ARN, "--output": OUTPUT}
    for flag in ("--role", "--output"):
        if flag in extra:
            base.pop(flag)
    args = [part for pair in base.items() for part in pair]
    assert_refused(run("train", IMAGE, *args, *extra), message, hint)
    assert_nothing_created(aws)


DEPLOY_CASES = [
    (["--role", "admin"], "--role 'admin' is not an IAM role ARN", "role/"),
    (["--model-data", "model.tar.gz"], "--model-data 'model.tar.gz' is not an S3 URI",
     "s3://BUCKET/PREFIX"),
    (["--endpoint", "churn.prod"], "endpoint name 'churn.prod' is not valid", "letters"),
    (["--instance-type", "ml.p9000.xlarge2"], "--instance-type 'ml.p9000.xlarge2' is not a "
     "SageMaker instance type", "ml.m5.large"),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "message", "hint"), DEPLOY_CASES,
                         ids=[" ".join(case[0]) for case in DEPLOY_CASES])  # fmt: skip
def test_deploy_refuses_bad_input_before_any_call(aws_env, aws, extra, message, hint):
    role = [] if "--role" in extra else ["--role", ROLE_ARN]
    assert_refused(run("deploy", IMAGE, *role, *extra), message, hint)
    assert_nothing_created(aws)


TRANSFORM = ["--input", "s3://tiffin-churn/in/", "--output", "s3://tiffin-churn/out/"]
TRANSFORM_CASES = [
    ([IMAGE, "--model", "churn-1", "--role", ROLE_ARN],
     "give exactly one of IMAGE and --model NAME", "--model names an existing one"),
    ([], "give exactly one of IMAGE and --model NAME", "IMAGE (with --role, --model-data)"),
    ([IMAGE], "a model of IMAGE needs an IAM role", "TIFFIN_SAGEMAKER_ROLE"),
    (["--model", "churn-1", "--input", "s3://"], "--input 's3://' has no bucket", "s3://BUCKET"),
    (["--model", "churn-1", "--instance-type", "ml.m5"],
     "--instance-type 'ml.m5' is not a SageMaker instance type", "ml.m5.large"),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "message", "hint"), TRANSFORM_CASES,
                         ids=[" ".join(c[0]) or "nothing" for c in TRANSFORM_CASES])  # fmt: skip
def test_transform_refuses_bad_input_before_any_call(aws_env, aws, monkeypatch, extra, message,
                                                     hint):  # fmt: skip
    monkeypatch.delenv("TIFFIN_SAGEMAKER_ROLE", raising=False)
    assert_refused(run("transform", *TRANSFORM, *extra), message, hint)
    assert_nothing_created(aws)


def test_missing_region_says_how_to_set_it(aws_env, aws, monkeypatch):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    result = run("train", IMAGE, "--role", ROLE_ARN, "--output", OUTPUT)
    assert_refused(result, "no AWS region: pass --region, set AWS_REGION, or run "
                   "`tiffin configure aws`", "--region eu-west-1")  # fmt: skip
    assert_nothing_created(aws)


def test_missing_credentials_say_how_to_set_them(aws_env, aws, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    result = run("deploy", IMAGE, "--role", ROLE_ARN)
    assert_refused(result, "no AWS credentials found", "`tiffin configure aws`")
    assert_nothing_created(aws)


def test_an_unknown_profile_is_named(aws_env):
    result = run("status", "train", "job-1", "--profile", "nope")
    assert_refused(result, "AWS profile 'nope' is not in your AWS config", "--profile NAME")


def test_an_aws_error_shows_its_code_and_message_not_a_traceback(aws_env):
    result = run("status", "train", "no-such-job")
    assert result.exit_code == 9
    assert result.stderr.splitlines() == [
        "error: SageMaker DescribeTrainingJob failed: ValidationException: Could not find "
        "training job 'arn:aws:sagemaker:us-east-1:123456789012:training-job/no-such-job'."
    ]


def test_an_unreachable_endpoint_is_one_line(aws_env, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    url = f"http://127.0.0.1:{free_port()}"
    result = run("status", "endpoint", "churn", "--endpoint-url", url)
    assert result.exit_code == 9
    error, hint = result.stderr.splitlines()
    assert error.startswith(
        f'error: cannot reach SageMaker: Could not connect to the endpoint URL: "{url}/"'
    )
    assert hint == "hint: check the network, --region, and --endpoint-url / AWS_ENDPOINT_URL"


def test_an_endpoint_url_that_is_not_a_url_is_refused(aws_env, aws):
    result = run("deploy", IMAGE, "--role", ROLE_ARN, "--endpoint-url", "127.0.0.1:5000")
    assert_refused(result, "endpoint URL '127.0.0.1:5000' is not an http(s) URL",
                   "--endpoint-url http://127.0.0.1:5000")  # fmt: skip
    assert_nothing_created(aws)


def test_delete_of_an_unknown_endpoint_deletes_nothing(aws_env):
    result = run("delete", "churn")
    assert_refused(result, "there is no endpoint churn in us-east-1", "list-endpoints")


def test_invoke_needs_exactly_one_body(aws_env, tmp_path):
    body = tmp_path / "rows.csv"
    body.write_text("1,2,3\n")
    for extra in ([], ["--data", "[]", "--file", str(body)]):
        assert_refused(run("invoke", "churn", *extra),
                       "give the request body with exactly one of --data and --file",
                       "--file request.json")  # fmt: skip


def test_without_boto3_the_cli_still_helps_and_says_what_to_install(tmp_path):
    script = (
        "import sys; sys.modules['boto3'] = sys.modules['botocore'] = None\n"
        "from tiffin.cli.main import cli\n"
        "cli(sys.argv[1:])\n"
    )

    def tiffin(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                              text=True, timeout=60, cwd=tmp_path)  # fmt: skip

    helped = tiffin("sagemaker", "--help")
    assert helped.returncode == 0 and "tiffin configure aws" in helped.stdout
    refused = tiffin("sagemaker", "deploy", IMAGE, "--role", ROLE_ARN)
    assert refused.returncode == 9
    assert refused.stderr.strip() == "error: needs boto3: pip install 'tiffin[aws]'"
