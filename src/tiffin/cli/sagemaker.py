"""``tiffin sagemaker``: push, train, deploy, invoke, transform, delete and status on SageMaker.

Each command parses its options, calls :mod:`tiffin.deploy.sagemaker` and prints: progress
on stderr, the one result (an image URI, a model URI, an endpoint name) on stdout. Input is
checked before the AWS session is opened, and boto3 is imported only when a command runs.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tiffin.cli.errors import handle_errors
from tiffin.errors import DeployError

if TYPE_CHECKING:
    from tiffin.deploy.sagemaker.session import Aws, AwsSettings
    from tiffin.deploy.sagemaker.waiting import Snapshot, Watched

F = TypeVar("F", bound=Callable[..., Any])
ROLE = "IAM role ARN SageMaker runs as [TIFFIN_SAGEMAKER_ROLE]."
PAIRS: dict[str, Any] = {"multiple": True, "metavar": "KEY=VALUE"}


def aws_options(command: F) -> F:
    """``--region``, ``--profile`` and ``--endpoint-url``, passed on as one ``aws`` settings."""

    @click.option("--region", help="AWS region [AWS_REGION, else your AWS config].")
    @click.option("--profile", help="Profile of your AWS config [AWS_PROFILE].")
    @click.option("--endpoint-url", metavar="URL", help="Another AWS endpoint [AWS_ENDPOINT_URL].")
    @functools.wraps(command)
    def wrapper(*args: Any, region: str | None, profile: str | None, endpoint_url: str | None,
                **kwargs: Any) -> Any:  # fmt: skip
        from tiffin.deploy.sagemaker.session import AwsSettings

        return command(*args, aws=AwsSettings(region, profile, endpoint_url), **kwargs)

    return wrapper  # type: ignore[return-value]


def wait_options(command: F) -> F:
    """``--no-wait`` and ``--poll``."""
    poll = click.option("--poll", type=click.FloatRange(min=0), default=10.0, show_default=True,
                        help="Seconds between status checks.")  # fmt: skip
    no_wait = click.option("--no-wait", is_flag=True, help="Return once SageMaker accepted it.")
    return no_wait(poll(command))


def instance_options(command: F) -> F:
    """``--instance-type`` and ``--instance-count``."""
    count = click.option("--instance-count", type=click.IntRange(min=1), default=1,
                         show_default=True, help="How many instances.")  # fmt: skip
    kind = click.option("--instance-type", default="ml.m5.large", show_default=True,
                        help="SageMaker instance type.")  # fmt: skip
    return kind(count(command))


def connect(settings: AwsSettings) -> Aws:
    """A checked session (region, credentials), opened once the input is known to be good."""
    from tiffin.deploy.sagemaker.session import open_session

    return open_session(settings)


def image_uri(session: Aws, image: str) -> str:
    """IMAGE as SageMaker pulls it: a pushed name (churn:1) becomes its ECR URI."""
    from tiffin.deploy.sagemaker.ecr import resolve_image

    uri = resolve_image(session, image)
    if uri != image:
        click.echo(f"tiffin: image {image} is {uri}", err=True)
    return uri


def follow(watched: Watched, no_wait: bool, poll: float) -> Snapshot | None:
    """Wait for ``watched`` with a live display, unless ``no_wait``; Ctrl-C exits 130."""
    from tiffin.deploy.sagemaker.display import make_display
    from tiffin.deploy.sagemaker.waiting import Poller, still_running

    if no_wait:
        click.echo(f"tiffin: not waiting; follow it with `{watched.follow_command}`", err=True)
        return None
    poller = Poller(watched, make_display(), poll=poll)
    try:
        return poller.run()
    except KeyboardInterrupt:
        click.echo(f"\n{still_running(watched, poller.last)}", err=True)
        sys.exit(130)


@click.group()
def sagemaker() -> None:
    """Train, deploy and batch-predict on Amazon SageMaker (pip install 'tiffin[aws]').

    Credentials and region come from the standard AWS chain (environment, ~/.aws, SSO,
    instance role): set them up with `tiffin configure aws`. Commands that wait take
    --no-wait; Ctrl-C while waiting leaves the job running. See docs/deploy.md.

    \b
      tiffin sagemaker push churn:1
      tiffin sagemaker train churn:1 --role ARN --channel train=s3://b/churn/train/ \\
          --output s3://b/churn/models/
      tiffin sagemaker deploy churn:1 --role ARN --model-data s3://b/.../model.tar.gz
      tiffin sagemaker invoke churn --data '[[0.1, 3, 1]]'
      tiffin sagemaker delete churn
    """


@sagemaker.command()
@click.argument("image")
@click.option("--repository", help="ECR repository [default: the image's repository name].")
@click.option("--tag", help="Tag in ECR [default: the image's tag, else latest].")
@click.option("--engine", help="docker, podman or buildah [TIFFIN_ENGINE, else installed].")
@click.option("--registry", metavar="HOST:PORT", envvar="TIFFIN_ECR_REGISTRY",
              help="Push there instead, logging in with the ECR token: a local registry "
              "standing in for ECR [TIFFIN_ECR_REGISTRY].")  # fmt: skip
@click.option("--tls-verify/--no-tls-verify", default=True, help="Check the registry's TLS.")
@aws_options
@handle_errors
def push(image: str, repository: str | None, tag: str | None, engine: str | None,
         registry: str | None, tls_verify: bool, aws: AwsSettings) -> None:  # fmt: skip
    """Push local IMAGE to ECR, creating the repository if needed; prints the image URI.

    \b
      tiffin sagemaker push churn:1   -> 123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn:1
    """
    from tiffin.build.engines import select_engine
    from tiffin.deploy.sagemaker.ecr import push_to_ecr

    chosen = select_engine(engine)
    uri = push_to_ecr(connect(aws), chosen, image, repository=repository, tag=tag,
                      registry=registry, tls_verify=tls_verify)  # fmt: skip
    click.echo(f"tiffin: pushed {image} to {uri} with {chosen.name}", err=True)
    click.echo(uri)


@sagemaker.command()
@click.argument("image")
@click.option("--role", required=True, envvar="TIFFIN_SAGEMAKER_ROLE", help=ROLE)
@click.option("--output", required=True, metavar="S3URI", help="Where model.tar.gz goes.")
@click.option("--channel", "channels_given", multiple=True, metavar="NAME=S3URI",
              help="A data channel from an S3 prefix. Repeatable.")  # fmt: skip
@click.option("--content-type", "content_types", multiple=True, metavar="NAME=TYPE",
              help="A channel's content type, e.g. train=text/csv. Repeatable.")  # fmt: skip
@click.option("--distribution", "distributions", multiple=True, metavar="NAME=KIND",
              help="FullyReplicated (default) or ShardedByS3Key. Repeatable.")  # fmt: skip
@click.option("--hp", "hyperparameters", **PAIRS, help="A hyperparameter. Repeatable.")
@click.option("--env", **PAIRS, help="An environment variable of the job. Repeatable.")
@click.option("--job-name", "name", help="[default: the image's repository and a timestamp].")
@instance_options
@click.option("--volume-size", type=click.IntRange(min=1), default=30, show_default=True,
              help="GB of storage per instance.")  # fmt: skip
@click.option("--max-runtime", type=click.IntRange(min=1), default=86400, show_default=True,
              help="Seconds before SageMaker stops the job.")  # fmt: skip
@click.option("--spot", is_flag=True, help="Managed spot training: cheaper, may wait.")
@click.option("--max-wait", type=click.IntRange(min=1), help="Spot: seconds to wait and run.")
@click.option("--checkpoints", metavar="S3URI", help="Where /opt/ml/checkpoints is synced.")
@wait_options
@aws_options
@handle_errors
def train(no_wait: bool, poll: float, aws: AwsSettings, **options: Any) -> None:
    """Run a training job of IMAGE (CreateTrainingJob), stream its logs, print the model's URI.

    IMAGE is an image URI, or a name pushed with `tiffin sagemaker push` (churn:1).

    \b
      tiffin sagemaker train churn:1 --role arn:aws:iam::123456789012:role/SageMaker \\
          --channel train=s3://my-bucket/churn/train/ --content-type train=text/csv \\
          --hp epochs=10 --output s3://my-bucket/churn/models/ --spot
    """
    from tiffin.cli.sagemaker_inputs import training_spec
    from tiffin.deploy.sagemaker import jobs

    spec = training_spec(**options)
    session = connect(aws)
    spec = replace(spec, image=image_uri(session, spec.image))
    jobs.start_training(session, spec)
    click.echo(f"tiffin: started training job {spec.name}", err=True)
    final = follow(jobs.watch_training(session, spec.name), no_wait, poll)
    if final is None:
        click.echo(spec.name)
        return
    summary = jobs.billing_summary(final)
    click.echo(f"tiffin: training job {spec.name} Completed{summary}", err=True)
    click.echo(jobs.model_artifact(final) or "")


@sagemaker.command()
@click.argument("image")
@click.option("--role", required=True, envvar="TIFFIN_SAGEMAKER_ROLE", help=ROLE)
@click.option("--endpoint", "name", help="Endpoint name [default: the image's repository].")
@click.option("--model-data", metavar="S3URI", help="A model.tar.gz (e.g. from train), "
              "unpacked to /opt/ml/model; leave out when the image holds its model.")  # fmt: skip
@click.option("--env", **PAIRS, help="An environment variable of the container. Repeatable.")
@instance_options
@click.option("--variant", default="AllTraffic", show_default=True, help="Variant name.")
@wait_options
@aws_options
@handle_errors
def deploy(no_wait: bool, poll: float, aws: AwsSettings, **options: Any) -> None:
    """Create (or update) an endpoint serving IMAGE, wait until InService, print its name.

    Creates a model and an endpoint config named ENDPOINT-TIMESTAMP, then the endpoint;
    when the endpoint exists it is moved to the new config (UpdateEndpoint, no downtime).

    \b
      tiffin sagemaker deploy churn:1 --role ARN --endpoint churn \\
          --model-data s3://my-bucket/churn/models/JOB/output/model.tar.gz
    """
    import time

    from tiffin.cli.sagemaker_inputs import endpoint_specs
    from tiffin.deploy.sagemaker import endpoints

    model, spec = endpoint_specs(**options)
    session = connect(aws)
    model = replace(model, image=image_uri(session, model.image))
    since_ms = int(time.time() * 1000)
    done = endpoints.deploy(session, model, spec)
    verb = "updating" if done.updating else "creating"
    click.echo(f"tiffin: {verb} endpoint {spec.name} (model {done.model})", err=True)
    if follow(endpoints.watch_endpoint(session, spec.name, done.config, since_ms), no_wait, poll):
        click.echo(f"tiffin: endpoint {spec.name} is InService", err=True)
    if done.previous_config:
        old = [f"--config {done.previous_config}", *(f"--model {m}" for m in done.previous_models)]
        click.echo(f"tiffin: the replaced config and model are kept; delete them with "
                   f"`tiffin sagemaker delete {' '.join(old)}`", err=True)  # fmt: skip
    click.echo(spec.name)


@sagemaker.command()
@click.argument("endpoint")
@click.option("--data", "-d", help="The request body.")
@click.option("--file", "-f", "body_file", type=click.File("rb"), help="The body's file, - stdin.")
@click.option("--content-type", default="application/json", show_default=True)
@click.option("--accept", default="application/json", show_default=True)
@aws_options
@handle_errors
def invoke(endpoint: str, data: str | None, body_file: Any, content_type: str, accept: str,
           aws: AwsSettings) -> None:  # fmt: skip
    """Send one request to ENDPOINT (InvokeEndpoint) and print the response body.

    \b
      tiffin sagemaker invoke churn --data '{"instances": [[0.1, 3, 1]]}'
      tiffin sagemaker invoke churn --file rows.csv --content-type text/csv --accept text/csv
    """
    from tiffin.deploy.sagemaker.endpoints import invoke as invoke_endpoint

    if (data is None) == (body_file is None):
        raise DeployError("give the request body with exactly one of --data and --file",
                          hint="e.g. --data '[[1, 2, 3]]' or --file request.json")  # fmt: skip
    body = data.encode() if data is not None else body_file.read()
    click.echo(invoke_endpoint(connect(aws), endpoint, body, content_type, accept))


@sagemaker.command()
@click.argument("image", required=False)
@click.option("--input", "input_uri", required=True, metavar="S3URI", help="Input S3 prefix.")
@click.option("--output", required=True, metavar="S3URI", help="Output S3 prefix.")
@click.option("--model", help="Instead of IMAGE: an existing SageMaker model (from deploy).")
@click.option("--role", envvar="TIFFIN_SAGEMAKER_ROLE", help="With IMAGE: " + ROLE)
@click.option("--model-data", metavar="S3URI", help="With IMAGE: the model.tar.gz to serve.")
@click.option("--job-name", "name", help="[default: the image's repository and a timestamp].")
@click.option("--content-type", default="text/csv", show_default=True, help="Of the input.")
@click.option("--accept", help="Output content type [default: --content-type's].")
@click.option("--split-type", type=click.Choice(["None", "Line", "RecordIO", "TFRecord"]),
              default="Line", show_default=True, help="How files split into records.")  # fmt: skip
@click.option("--strategy", type=click.Choice(["SingleRecord", "MultiRecord"]),
              default="MultiRecord", show_default=True, help="Records per request.")  # fmt: skip
@click.option("--assemble-with", type=click.Choice(["None", "Line"]), default="Line",
              show_default=True, help="How output records are joined.")  # fmt: skip
@click.option("--join-source", type=click.Choice(["None", "Input"]), default="None",
              show_default=True, help="Input: each output record follows its input.")  # fmt: skip
@click.option("--max-payload", type=click.IntRange(0, 100), metavar="MB", help="Largest request.")
@click.option("--max-concurrent", type=click.IntRange(min=1), help="Requests per instance.")
@click.option("--env", **PAIRS, help="An environment variable of the container. Repeatable.")
@instance_options
@wait_options
@aws_options
@handle_errors
def transform(no_wait: bool, poll: float, aws: AwsSettings, **options: Any) -> None:
    """Run a batch-transform job over an S3 prefix (CreateTransformJob) and wait for it.

    A model of IMAGE (with --role and --model-data) is created for the job, or an
    existing model is used (--model, e.g. the one deploy created). Prints the output prefix.

    \b
      tiffin sagemaker transform churn:1 --role ARN --model-data s3://.../model.tar.gz \\
          --input s3://my-bucket/churn/batch/ --output s3://my-bucket/churn/scored/
    """
    from tiffin.cli.sagemaker_inputs import transform_specs
    from tiffin.deploy.sagemaker import jobs

    spec, model = transform_specs(**options)
    session = connect(aws)
    if model is not None:
        model = replace(model, image=image_uri(session, model.image))
    jobs.start_transform(session, spec, model)
    made = " (created for it)" if model else ""
    click.echo(
        f"tiffin: started transform job {spec.name}, model {spec.model_name}{made}", err=True
    )
    if follow(jobs.watch_transform(session, spec.name), no_wait, poll):
        click.echo(f"tiffin: transform job {spec.name} Completed", err=True)
        click.echo(spec.output)
    else:
        click.echo(spec.name)


@sagemaker.command()
@click.argument("endpoint", required=False)
@click.option("--config", "configs", multiple=True, help="Also this endpoint config. Repeatable.")
@click.option("--model", "models", multiple=True, help="Also this model. Repeatable.")
@click.option("--keep-model", is_flag=True, help="Keep the endpoint's model(s).")
@aws_options
@handle_errors
def delete(endpoint: str | None, configs: tuple[str, ...], models: tuple[str, ...],
           keep_model: bool, aws: AwsSettings) -> None:  # fmt: skip
    """Delete ENDPOINT with its endpoint config and model(s), and any --config/--model given.

    \b
      tiffin sagemaker delete churn
      tiffin sagemaker delete --model churn-20240101-120000-123
    """
    from tiffin.deploy.sagemaker import endpoints

    if endpoint is None and not (configs or models):
        raise DeployError("nothing to delete", hint="name an ENDPOINT, or pass --config/--model")
    session = connect(aws)
    config_names, model_names = list(configs), list(models)
    if endpoint is not None:
        config, served = endpoints.endpoint_parts(session, endpoint)
        config_names.insert(0, config)
        model_names[:0] = [] if keep_model else served
    for thing in endpoints.delete(session, endpoint, config_names, model_names):
        click.echo(f"tiffin: deleted {thing}", err=True)


@sagemaker.command()
@click.argument("kind", type=click.Choice(["train", "transform", "endpoint"]))
@click.argument("name")
@click.option("--wait", is_flag=True, help="Wait for a final state, streaming the logs.")
@click.option("--poll", type=click.FloatRange(min=0), default=10.0, help="Seconds between checks.")
@aws_options
@handle_errors
def status(kind: str, name: str, wait: bool, poll: float, aws: AwsSettings) -> None:
    """Show the status of a training job, transform job or endpoint; --wait follows it.

    \b
      tiffin sagemaker status train churn-20240101-120000-123 --wait
    """
    from tiffin.deploy.sagemaker.endpoints import watch_endpoint
    from tiffin.deploy.sagemaker.jobs import model_artifact, watch_training, watch_transform
    from tiffin.deploy.sagemaker.waiting import State, failed

    watch = {"train": watch_training, "transform": watch_transform, "endpoint": watch_endpoint}
    watched = watch[kind](connect(aws), name)
    snapshot = watched.describe()
    if wait and snapshot.state is State.RUNNING:
        snapshot = follow(watched, False, poll) or snapshot
    if snapshot.state in {State.FAILED, State.STOPPED}:
        raise failed(watched, snapshot)
    secondary = f" / {snapshot.secondary}" if snapshot.secondary else ""
    click.echo(f"{watched.kind} {name}: {snapshot.status}{secondary}")
    if kind == "train" and snapshot.state is State.SUCCEEDED:
        click.echo(model_artifact(snapshot) or "")
