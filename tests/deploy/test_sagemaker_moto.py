"""`tiffin sagemaker` against a real moto server: push -> train -> deploy -> invoke ->
transform -> delete, run as a user runs it, checked with boto3 describe calls.

moto stands in for S3, ECR and SageMaker: jobs and endpoints reach their final state at
once and nothing reaches a real account. The push goes to a local registry standing in
for ECR's (moto cannot store images), logging in with the ECR token's user and password.
"""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from imagetests import RUN_ID

from aws import ROLE_ARN

BUCKET = "tiffin-churn"
ECR_HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


@pytest.fixture
def churn_repository(aws) -> str:
    """The ECR repository `tiffin sagemaker push churn:1` creates (here without an image)."""
    return aws("ecr").create_repository(repositoryName="churn")["repository"]["repositoryUri"]


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def test_train_sends_the_job_as_asked_and_prints_the_model_uri(sagemaker_cli, aws,
                                                                churn_repository):  # fmt: skip
    done = sagemaker_cli(
        "train", "churn:1", "--role", ROLE_ARN, "--job-name", "churn-train-1",
        "--channel", f"train=s3://{BUCKET}/churn/train/",
        "--channel", f"validation=s3://{BUCKET}/churn/validation/",
        "--content-type", "train=text/csv", "--distribution", "train=ShardedByS3Key",
        "--hp", "C=0.5", "--hp", "epochs=10", "--hp", "layers=[64, 32]",
        "--env", "LOG_LEVEL=debug", "--output", f"s3://{BUCKET}/churn/models/",
        "--instance-type", "ml.m5.xlarge", "--instance-count", "2", "--volume-size", "50",
        "--max-runtime", "3600", "--spot", "--max-wait", "7200", "--poll", "0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert last_line(done.stdout) == f"s3://{BUCKET}/churn/models/churn-train-1/output/model.tar.gz"
    assert f"image churn:1 is {churn_repository}:1" in done.stderr
    assert "Starting: Preparing the instances for training" in done.stderr  # moto's transition
    assert "training job churn-train-1 Completed" in done.stderr

    job = aws("sagemaker").describe_training_job(TrainingJobName="churn-train-1")
    assert job["AlgorithmSpecification"]["TrainingImage"] == f"{churn_repository}:1"
    assert job["RoleArn"] == ROLE_ARN
    assert job["HyperParameters"] == {"C": "0.5", "epochs": "10", "layers": "[64, 32]"}
    train, validation = job["InputDataConfig"]
    assert train == {
        "ChannelName": "train",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                        "S3Uri": f"s3://{BUCKET}/churn/train/",
                                        "S3DataDistributionType": "ShardedByS3Key"}},
        "ContentType": "text/csv",
    }  # fmt: skip
    assert validation["ChannelName"] == "validation" and "ContentType" not in validation
    source = validation["DataSource"]["S3DataSource"]
    assert source["S3DataDistributionType"] == "FullyReplicated"
    assert job["ResourceConfig"] == {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2,
                                     "VolumeSizeInGB": 50}  # fmt: skip
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}
    assert job["EnableManagedSpotTraining"] is True
    assert job["OutputDataConfig"]["S3OutputPath"] == f"s3://{BUCKET}/churn/models/"


def test_train_no_wait_prints_the_job_name_and_how_to_follow_it(sagemaker_cli, aws):
    done = sagemaker_cli("train", f"{ECR_HOST}/churn:2", "--role", ROLE_ARN, "--no-wait",
                         "--output", f"s3://{BUCKET}/models/")  # fmt: skip
    assert done.returncode == 0, done.stderr
    name = last_line(done.stdout)
    assert name.startswith("churn-") and len(name) <= 63
    assert f"tiffin sagemaker status train {name} --wait" in done.stderr
    job = aws("sagemaker").describe_training_job(TrainingJobName=name)
    assert job["AlgorithmSpecification"]["TrainingImage"] == f"{ECR_HOST}/churn:2"
    assert job["EnableManagedSpotTraining"] is False
    assert "MaxWaitTimeInSeconds" not in job["StoppingCondition"]


def test_deploy_invoke_transform_delete_through_the_cli(sagemaker_cli, aws, aws_env,
                                                         churn_repository):  # fmt: skip
    sagemaker = aws("sagemaker")
    model_data = f"s3://{BUCKET}/churn/models/churn-train-1/output/model.tar.gz"
    deployed = sagemaker_cli(
        "deploy", "churn:1", "--role", ROLE_ARN, "--model-data", model_data,
        "--env", "TIFFIN_LOG_LEVEL=debug", "--instance-type", "ml.c5.large",
        "--instance-count", "2", "--poll", "0",
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stderr
    assert last_line(deployed.stdout) == "churn"  # named after the image's repository
    assert "creating endpoint churn" in deployed.stderr
    assert "endpoint churn is InService" in deployed.stderr

    endpoint = sagemaker.describe_endpoint(EndpointName="churn")
    assert endpoint["EndpointStatus"] == "InService"
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    (variant,) = config["ProductionVariants"]
    assert (variant["VariantName"], variant["InstanceType"], variant["InitialInstanceCount"]) == (
        "AllTraffic", "ml.c5.large", 2)  # fmt: skip
    model = sagemaker.describe_model(ModelName=variant["ModelName"])
    assert model["ExecutionRoleArn"] == ROLE_ARN
    assert model["PrimaryContainer"]["Image"] == f"{churn_repository}:1"
    assert model["PrimaryContainer"]["ModelDataUrl"] == model_data
    assert model["PrimaryContainer"]["Environment"] == {"TIFFIN_LOG_LEVEL": "debug"}

    answer = '{"predictions": [0.9312]}'
    httpx.post(f"{aws_env['AWS_ENDPOINT_URL']}/moto-api/static/sagemaker/endpoint-results",
               json={"results": [{"Body": answer, "ContentType": "application/json"}]},
               ).raise_for_status()  # fmt: skip
    invoked = sagemaker_cli("invoke", "churn", "--data", '{"customer": [2, 110.0, 6, 1]}')
    assert invoked.returncode == 0, invoked.stderr
    assert invoked.stdout.strip() == answer  # the body moto's endpoint answered, as it is

    transformed = sagemaker_cli(
        "transform", "--model", variant["ModelName"], "--job-name", "churn-batch-1",
        "--input", f"s3://{BUCKET}/churn/predict/", "--output", f"s3://{BUCKET}/churn/scored/",
        "--content-type", "text/csv", "--accept", "application/jsonlines",
        "--split-type", "Line", "--strategy", "SingleRecord", "--assemble-with", "Line",
        "--join-source", "Input", "--max-payload", "2", "--max-concurrent", "4",
        "--instance-type", "ml.m5.2xlarge", "--instance-count", "3", "--poll", "0",
    )  # fmt: skip
    assert transformed.returncode == 0, transformed.stderr
    assert last_line(transformed.stdout) == f"s3://{BUCKET}/churn/scored/"
    assert "transform job churn-batch-1 Completed" in transformed.stderr
    job = sagemaker.describe_transform_job(TransformJobName="churn-batch-1")
    assert job["ModelName"] == variant["ModelName"]
    assert job["TransformInput"] == {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                        "S3Uri": f"s3://{BUCKET}/churn/predict/"}},
        "ContentType": "text/csv", "SplitType": "Line",
    }  # fmt: skip
    assert job["TransformOutput"] == {"S3OutputPath": f"s3://{BUCKET}/churn/scored/",
                                      "Accept": "application/jsonlines",
                                      "AssembleWith": "Line"}  # fmt: skip
    assert (job["BatchStrategy"], job["MaxPayloadInMB"], job["MaxConcurrentTransforms"]) == (
        "SingleRecord", 2, 4)  # fmt: skip
    assert job["DataProcessing"] == {"JoinSource": "Input"}
    assert job["TransformResources"] == {"InstanceType": "ml.m5.2xlarge", "InstanceCount": 3}

    deleted = sagemaker_cli("delete", "churn")
    assert deleted.returncode == 0, deleted.stderr
    for thing in ("endpoint churn", f"endpoint config {config['EndpointConfigName']}",
                  f"model {variant['ModelName']}"):  # fmt: skip
        assert f"deleted {thing}" in deleted.stderr
    assert sagemaker.list_endpoints()["Endpoints"] == []
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert sagemaker.list_models()["Models"] == []


def test_transform_of_an_image_creates_its_model_first(sagemaker_cli, aws, churn_repository):
    done = sagemaker_cli(
        "transform", "churn:1", "--role", ROLE_ARN, "--job-name", "churn-batch-2",
        "--model-data", f"s3://{BUCKET}/m/model.tar.gz", "--input", f"s3://{BUCKET}/in/",
        "--output", f"s3://{BUCKET}/out/", "--poll", "0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    sagemaker = aws("sagemaker")
    model = sagemaker.describe_model(ModelName="churn-batch-2")
    assert model["PrimaryContainer"]["Image"] == f"{churn_repository}:1"
    assert model["PrimaryContainer"]["ModelDataUrl"] == f"s3://{BUCKET}/m/model.tar.gz"
    job = sagemaker.describe_transform_job(TransformJobName="churn-batch-2")
    assert job["ModelName"] == "churn-batch-2"
    # the defaults: CSV lines in, many records per request, lines out
    assert job["TransformInput"]["SplitType"] == "Line"
    assert job["TransformInput"]["ContentType"] == "text/csv"
    assert job["TransformOutput"]["Accept"] == "text/csv"  # one output line per input line
    assert (job["BatchStrategy"], job["TransformOutput"]["AssembleWith"]) == ("MultiRecord", "Line")


def test_status_reports_a_finished_training_job_and_its_model(sagemaker_cli, aws):
    sagemaker_cli("train", f"{ECR_HOST}/churn:1", "--role", ROLE_ARN, "--job-name", "done-1",
                  "--output", f"s3://{BUCKET}/m/", "--no-wait")  # fmt: skip
    done = sagemaker_cli("status", "train", "done-1", "--wait", "--poll", "0")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["training job done-1: Completed / Completed",
                                        f"s3://{BUCKET}/m/done-1/output/model.tar.gz"]  # fmt: skip


@pytest.mark.container
def test_push_creates_the_repository_logs_in_with_the_token_and_pushes(
    sagemaker_cli, aws, iris_image, registry, tmp_path
):
    auth_file = tmp_path / "auth.json"
    done = sagemaker_cli("push", iris_image, "--engine", "podman", "--registry", registry,
                         "--no-tls-verify", env={"REGISTRY_AUTH_FILE": str(auth_file)},
                         timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    repository = "tiffin-test-iris"
    assert last_line(done.stdout) == f"{registry}/{repository}:{RUN_ID}"

    (created,) = aws("ecr").describe_repositories()["repositories"]
    assert created["repositoryName"] == repository
    catalog = httpx.get(f"http://{registry}/v2/_catalog").json()
    assert repository in catalog["repositories"]
    tags = httpx.get(f"http://{registry}/v2/{repository}/tags/list").json()
    assert RUN_ID in tags["tags"]
    # the login used the user and password of ECR's authorization token
    token = aws("ecr").get_authorization_token()["authorizationData"][0]["authorizationToken"]
    saved = json.loads(auth_file.read_text())["auths"][registry]["auth"]
    assert base64.b64decode(saved) == base64.b64decode(token)

    again = sagemaker_cli("push", iris_image, "--engine", "podman", "--registry", registry,
                          "--no-tls-verify", "--tag", "prod",
                          env={"REGISTRY_AUTH_FILE": str(auth_file)}, timeout=600)  # fmt: skip
    assert again.returncode == 0, again.stderr  # the repository exists: reused
    assert "prod" in httpx.get(f"http://{registry}/v2/{repository}/tags/list").json()["tags"]
