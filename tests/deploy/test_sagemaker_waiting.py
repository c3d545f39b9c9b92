"""Waiting, status transitions, log streaming, failures, Ctrl-C and UpdateEndpoint, driven by
scripted state sequences: the SageMaker and CloudWatch Logs clients here are test doubles
(tests/deploy/doubles.py), because moto jumps straight to final states.
"""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from doubles import (
    FakeAws,
    FakeClock,
    ScriptedClient,
    ScriptedLogs,
    client_error,
    not_found,
    training,
    with_logs,
)

from aws import ROLE_ARN
from tiffin.cli.main import cli
from tiffin.deploy.sagemaker import session
from tiffin.deploy.sagemaker.display import LiveDisplay, PlainDisplay
from tiffin.deploy.sagemaker.jobs import model_artifact, watch_training, watch_transform
from tiffin.deploy.sagemaker.waiting import Poller
from tiffin.errors import RemoteJobFailed

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1"
STREAM = "job-1/algo-1-1712345678"
STARTING = ("Starting", "Preparing the instances for training")
DOWNLOADING = ("Downloading", "Downloading input data")
TRAINING = ("Training", "Training image download completed. Training in progress.")
UPLOADING = ("Uploading", "Uploading generated training model")
COMPLETED = ("Completed", "Training job completed")
ARTIFACT = "s3://b/m/job-1/output/model.tar.gz"


def scripted_training_run(logs: ScriptedLogs) -> list:
    """InProgress through Starting, Downloading, Training, Uploading, then Completed; log
    lines arrive across polls (none while the log group does not exist yet)."""
    return [
        training("InProgress", STARTING),
        with_logs(logs, STREAM, ["downloading 3 files"],
                  training("InProgress", STARTING, DOWNLOADING)),
        with_logs(logs, STREAM, ["epoch 1 loss=0.50", "epoch 2 loss=0.41", "epoch 3 loss=0.37"],
                  training("InProgress", STARTING, DOWNLOADING, TRAINING)),
        with_logs(logs, STREAM, ["saved model.joblib"],
                  training("InProgress", STARTING, DOWNLOADING, TRAINING, UPLOADING)),
        training("Completed", STARTING, DOWNLOADING, TRAINING, UPLOADING, COMPLETED,
                 ModelArtifacts={"S3ModelArtifacts": ARTIFACT}),
    ]  # fmt: skip


def test_scripted_training_shows_transitions_elapsed_and_each_log_line_once():
    logs = ScriptedLogs()
    sagemaker = ScriptedClient("sagemaker", describe_training_job=scripted_training_run(logs))
    clock, out = FakeClock(), io.StringIO()
    watched = watch_training(FakeAws(sagemaker=sagemaker, logs=logs), "job-1")

    final = Poller(watched, PlainDisplay(out), poll=30, clock=clock, sleep=clock.sleep).run()

    assert out.getvalue().splitlines() == [
        "tiffin: waiting for training job job-1 (Ctrl-C only stops the waiting)",
        "   0:00  Starting: Preparing the instances for training",
        "   0:00  InProgress",
        "   0:30  Downloading: Downloading input data",
        "downloading 3 files",
        "   1:00  Training: Training image download completed. Training in progress.",
        "epoch 1 loss=0.50",
        "epoch 2 loss=0.41",
        "epoch 3 loss=0.37",
        "   1:30  Uploading: Uploading generated training model",
        "saved model.joblib",
        "   2:00  Completed: Training job completed",
        "   2:00  Completed",
    ]
    assert model_artifact(final) == ARTIFACT
    assert clock.sleeps == [30, 30, 30, 30]  # no sleep after the final state
    # every stream of the job, and only the job's, was read from its saved token on
    prefixes = {
        r.get("logStreamNamePrefix") for op, r in logs.calls if op == "describe_log_streams"
    }
    assert prefixes == {"job-1/"}


def test_scripted_transform_labels_the_lines_of_each_instance_and_fails_with_its_reason():
    logs = ScriptedLogs()
    reason = "ClientError: See job logs for more information"
    sagemaker = ScriptedClient("sagemaker", describe_transform_job=[
        {"TransformJobStatus": "InProgress"},
        with_logs(logs, "batch-1/i-0a", ["scored part-0"], {"TransformJobStatus": "InProgress"}),
        with_logs(logs, "batch-1/i-0b", ["bad row 7: 3 values"],
                  {"TransformJobStatus": "Failed", "FailureReason": reason}),
    ])  # fmt: skip
    clock, out = FakeClock(), io.StringIO()
    watched = watch_transform(FakeAws(sagemaker=sagemaker, logs=logs), "batch-1")

    with pytest.raises(RemoteJobFailed) as failed:
        Poller(watched, PlainDisplay(out), poll=60, clock=clock, sleep=clock.sleep).run()

    assert str(failed.value) == f"transform job batch-1 Failed: {reason}"
    assert "aws logs tail /aws/sagemaker/TransformJobs" in str(failed.value.hint)
    lines = out.getvalue().splitlines()
    assert lines[1:] == ["   0:00  InProgress", "scored part-0", "   2:00  Failed",
                         "[i-0b] bad row 7: 3 values"]  # fmt: skip


def test_scripted_throttling_while_polling_is_waited_out():
    sagemaker = ScriptedClient("sagemaker", describe_transform_job=[
        client_error("ThrottlingException", "Rate exceeded", "DescribeTransformJob"),
        {"TransformJobStatus": "Completed"},
    ])  # fmt: skip
    clock = FakeClock()
    watched = watch_transform(FakeAws(sagemaker=sagemaker, logs=ScriptedLogs()), "batch-1")
    final = Poller(watched, PlainDisplay(io.StringIO()), poll=5, clock=clock,
                   sleep=clock.sleep).run()  # fmt: skip
    assert final.status == "Completed"
    assert clock.sleeps == [5]


def test_scripted_live_display_keeps_the_lines_above_the_status_line():
    from rich.console import Console

    logs = ScriptedLogs()
    sagemaker = ScriptedClient("sagemaker", describe_training_job=scripted_training_run(logs))
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    clock = FakeClock()
    watched = watch_training(FakeAws(sagemaker=sagemaker, logs=logs), "job-1")
    Poller(watched, LiveDisplay(console, clock), poll=30, clock=clock, sleep=clock.sleep).run()
    shown = console.file.getvalue()
    positions = [shown.index(text) for text in (
        "Downloading: Downloading input data", "epoch 1 loss=0.50", "epoch 3 loss=0.37",
        "Completed: Training job completed")]  # fmt: skip
    assert positions == sorted(positions)
    assert shown.count("epoch 2 loss=0.41") == 1


# --- through the CLI ---------------------------------------------------------------------


@pytest.fixture
def fake_aws(monkeypatch):
    """The CLI's session replaced by scripted clients (set ``fake_aws.clients``)."""
    fake = FakeAws()
    monkeypatch.setattr(session, "open_session", lambda settings: fake)
    return fake


def sagemaker_cli(*args: str):
    return CliRunner().invoke(cli, ["sagemaker", *args])


def train_args(*extra: str) -> list[str]:
    return ["train", IMAGE, "--role", ROLE_ARN, "--job-name", "job-1", "--output", "s3://bkt/m/",
            "--poll", "0", *extra]  # fmt: skip


def test_scripted_failed_training_prints_its_failure_reason_and_exits_9(fake_aws):
    logs = ScriptedLogs()
    reason = "AlgorithmError: ValueError: expected 4 feature columns, got 3"
    sagemaker = ScriptedClient("sagemaker", describe_training_job=[
        training("InProgress", STARTING),
        with_logs(logs, STREAM, ["Traceback (most recent call last):", "ValueError: expected 4"],
                  training("Failed", STARTING, ("Failed", "Training job failed"), reason=reason)),
    ])  # fmt: skip
    fake_aws.clients.update(sagemaker=sagemaker, logs=logs)

    result = sagemaker_cli(*train_args())

    assert result.exit_code == 9
    assert f"error: training job job-1 Failed: {reason}" in result.stderr
    assert "hint: its logs: aws logs tail /aws/sagemaker/TrainingJobs" in result.stderr
    assert "ValueError: expected 4\n" in result.stderr  # the job's own log lines came first
    assert result.stdout == ""  # no model URI


def test_scripted_ctrl_c_while_waiting_leaves_the_job_running_and_exits_130(fake_aws):
    sagemaker = ScriptedClient("sagemaker", describe_training_job=[
        training("InProgress", STARTING, DOWNLOADING), KeyboardInterrupt()])  # fmt: skip
    fake_aws.clients.update(sagemaker=sagemaker, logs=ScriptedLogs())

    result = sagemaker_cli(*train_args())

    assert result.exit_code == 130
    assert "stopped waiting; training job job-1 is still InProgress" in result.stderr
    assert "follow it with `tiffin sagemaker status train job-1 --wait`" in result.stderr
    assert "aws logs tail /aws/sagemaker/TrainingJobs --log-stream-name-prefix job-1/" in (
        result.stderr)  # fmt: skip
    assert not [op for op in sagemaker.operations() if op.startswith(("stop_", "delete_"))]
    assert "Traceback" not in result.output


def test_scripted_no_wait_makes_no_describe_call(fake_aws):
    sagemaker = ScriptedClient("sagemaker")
    fake_aws.clients.update(sagemaker=sagemaker, logs=ScriptedLogs())
    result = sagemaker_cli(*train_args("--no-wait"))
    assert result.exit_code == 0, result.output
    assert sagemaker.operations() == ["create_training_job"]
    assert result.stdout.strip() == "job-1"


def existing_endpoint(config: str, status: str = "InService", **extra) -> dict:
    return {"EndpointName": "churn", "EndpointStatus": status, "EndpointConfigName": config,
            **extra}  # fmt: skip


def deploy_args() -> list[str]:
    return ["deploy", IMAGE, "--role", ROLE_ARN, "--endpoint", "churn", "--poll", "0"]


def test_scripted_deploy_to_an_existing_endpoint_updates_it(fake_aws):
    def new_config() -> str:
        return sagemaker.requests("create_endpoint_config")[-1]["EndpointConfigName"]

    sagemaker = ScriptedClient(
        "sagemaker",
        describe_endpoint=[
            existing_endpoint("churn-old"),
            lambda _: existing_endpoint(new_config(), "Updating"),
            lambda _: existing_endpoint(new_config()),
        ],
        describe_endpoint_config=[{"ProductionVariants": [{"ModelName": "churn-old-model"}]}],
    )
    fake_aws.clients.update(sagemaker=sagemaker, logs=ScriptedLogs())

    result = sagemaker_cli(*deploy_args())

    assert result.exit_code == 0, result.output
    assert "create_endpoint" not in sagemaker.operations()
    (update,) = sagemaker.requests("update_endpoint")
    assert update == {"EndpointName": "churn", "EndpointConfigName": new_config()}
    (model,) = sagemaker.requests("create_model")
    (config,) = sagemaker.requests("create_endpoint_config")
    assert config["ProductionVariants"][0]["ModelName"] == model["ModelName"]
    assert "updating endpoint churn" in result.stderr
    assert "Updating" in result.stderr and "endpoint churn is InService" in result.stderr
    assert "tiffin sagemaker delete --config churn-old --model churn-old-model" in result.stderr
    assert result.stdout.strip() == "churn"


def test_scripted_update_rolled_back_is_a_failure_with_its_reason(fake_aws):
    reason = "The primary container for production variant AllTraffic did not pass the ping " \
             "health check."  # fmt: skip
    sagemaker = ScriptedClient("sagemaker", describe_endpoint=[
        existing_endpoint("churn-old"), existing_endpoint("churn-old", "Updating"),
        existing_endpoint("churn-old", FailureReason=reason)])  # fmt: skip
    fake_aws.clients.update(sagemaker=sagemaker, logs=ScriptedLogs())

    result = sagemaker_cli(*deploy_args())

    assert result.exit_code == 9
    assert "error: endpoint churn InService on churn-old (update rolled back): " + reason in (
        result.stderr)  # fmt: skip


def test_scripted_failed_endpoint_creation_shows_its_reason(fake_aws):
    reason = "Image 123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1 does not exist."
    sagemaker = ScriptedClient("sagemaker", describe_endpoint=[
        not_found("endpoint", "churn", "DescribeEndpoint"),
        existing_endpoint("c", "Creating"), existing_endpoint("c", "Failed", FailureReason=reason),
    ])  # fmt: skip
    fake_aws.clients.update(sagemaker=sagemaker, logs=ScriptedLogs())

    result = sagemaker_cli(*deploy_args())

    assert result.exit_code == 9
    assert f"error: endpoint churn Failed: {reason}" in result.stderr
    assert "Creating" in result.stderr
    assert "create_endpoint" in sagemaker.operations()


def test_scripted_endpoint_busy_updating_is_refused_before_creating_anything(fake_aws):
    sagemaker = ScriptedClient("sagemaker", describe_endpoint=[
        existing_endpoint("churn-old", "Updating")])  # fmt: skip
    fake_aws.clients.update(sagemaker=sagemaker, logs=ScriptedLogs())
    result = sagemaker_cli(*deploy_args())
    assert result.exit_code == 9
    assert "error: endpoint churn is Updating: it cannot be updated" in result.stderr
    assert sagemaker.operations() == ["describe_endpoint"]


def test_scripted_refused_endpoint_removes_the_model_and_config_it_made(fake_aws):
    sagemaker = ScriptedClient(
        "sagemaker",
        describe_endpoint=[not_found("endpoint", "churn", "DescribeEndpoint")],
        create_endpoint=[client_error("ResourceLimitExceeded", "The account-level service limit "
                                      "'ml.m5.large for endpoint usage' is 0 Instances",
                                      "CreateEndpoint")],
    )  # fmt: skip
    fake_aws.clients.update(sagemaker=sagemaker, logs=ScriptedLogs())

    result = sagemaker_cli(*deploy_args())

    assert result.exit_code == 9
    assert "error: SageMaker CreateEndpoint failed: ResourceLimitExceeded: The account-level" in (
        result.stderr)  # fmt: skip
    assert "hint: a service quota is reached" in result.stderr
    (model,) = sagemaker.requests("create_model")
    (config,) = sagemaker.requests("create_endpoint_config")
    assert sagemaker.requests("delete_endpoint_config") == [
        {"EndpointConfigName": config["EndpointConfigName"]}]  # fmt: skip
    assert sagemaker.requests("delete_model") == [{"ModelName": model["ModelName"]}]


def test_scripted_status_of_a_stopped_job_is_an_error(fake_aws):
    sagemaker = ScriptedClient("sagemaker", describe_training_job=[
        training("Stopped", STARTING, ("Stopped", "Training job stopped"))])  # fmt: skip
    fake_aws.clients.update(sagemaker=sagemaker, logs=ScriptedLogs())
    result = sagemaker_cli("status", "train", "job-1")
    assert result.exit_code == 9
    assert "error: training job job-1 Stopped" in result.stderr


def test_scripted_model_error_on_invoke_shows_the_models_message_and_its_logs(fake_aws):
    message = 'Received client error (400) from primary with message "each customer needs 4 values"'
    runtime = ScriptedClient("sagemaker-runtime", invoke_endpoint=[
        client_error("ModelError", message, "InvokeEndpoint")])  # fmt: skip
    fake_aws.clients.update(sagemaker_runtime=runtime)

    result = sagemaker_cli("invoke", "churn", "--data", "[[1, 2]]", "--content-type", "text/csv")

    assert result.exit_code == 9
    assert result.stderr.splitlines() == [
        f"error: SageMaker Runtime InvokeEndpoint failed: ModelError: {message}",
        "hint: the model answered with an error; its logs: aws logs tail "
        "/aws/sagemaker/Endpoints/churn",
    ]
    (request,) = runtime.requests("invoke_endpoint")
    assert request == {"EndpointName": "churn", "Body": b"[[1, 2]]", "ContentType": "text/csv",
                       "Accept": "application/json"}  # fmt: skip
