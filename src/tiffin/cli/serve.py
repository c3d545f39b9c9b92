"""``tiffin serve``: serve a package over every protocol at once."""

from __future__ import annotations

import os
import sys

import click

from tiffin.cli.errors import handle_errors
from tiffin.spec import ENV_VARIABLES, apply_env, apply_overrides, load_spec


def _env_help() -> str:
    """The epilog: each setting's variables, first one set winning, and the precedence."""
    names = [" or ".join(variables) for variables in ENV_VARIABLES.values()]
    return (
        "Each option also reads environment variables (the first one set wins): "
        + "; ".join(names)
        + "; STORAGE_URI (--model-uri). Precedence: a flag, then TIFFIN_*, then the "
        "ml-deploy, KServe or SageMaker name (KAFKA_BROKER, LOG_LEVEL, HTTP_PORT, APP_DEBUG, "
        "GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_ACCESS_LOG, GUNICORN_WORKER_CLASS...), "
        "then tiffin.yaml's server section, then the default. APP_DEBUG and "
        "GUNICORN_ACCESS_LOG are true for 1, true or t; GUNICORN_WORKER_CLASS sync, gthread, "
        "gevent, eventlet or tornado means uvicorn."
    )


ENV_HELP = _env_help()


@click.command(epilog=ENV_HELP)
@click.argument("path", default=".", type=click.Path(exists=True))
@click.option("--host", help="Interface to bind [default: 127.0.0.1].")
@click.option("--port", "-p", "--http-port", type=int, help="Port to listen on [default: 8080].")
@click.option(
    "--grpc-port",
    type=int,
    help="Port of the Open Inference Protocol over gRPC, beside --port; 0 turns it off "
    "[8081 with tiffin[grpc] installed, else off].",
)
@click.option("--no-grpc", is_flag=True, help="Serve HTTP only (the same as --grpc-port 0).")
@click.option("--workers", "-w", type=int, help="Worker processes serving the model [1].")
@click.option(
    "--preload/--no-preload",
    default=None,
    help="Load the model once before starting the workers, which then share its memory "
    "instead of loading a copy each [on with several workers, unless the model opts out].",
)
@click.option(
    "--threads",
    type=int,
    help="Threads per worker running sync model code; 1: one model thread, requests in "
    "arrival order [1].",
)
@click.option(
    "--worker-class",
    help="uvicorn (uvloop+httptools), uvicorn-h11, or a gunicorn worker class path.",
)
@click.option(
    "--timeout", type=float, help="Seconds a request may take before it fails with 504 [60]."
)
@click.option(
    "--max-batch-size",
    type=int,
    help="Most rows per predict call: concurrent requests are joined into one call, for a "
    "model that accepts batches (batching: true) [1: off].",
)
@click.option(
    "--max-latency-ms",
    type=float,
    help="Milliseconds the oldest queued request waits for a batch to fill [0].",
)
@click.option(
    "--graceful-timeout",
    type=float,
    help="Seconds in-flight requests get to finish on SIGTERM [30].",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"], case_sensitive=False),
    help="Log level [info].",
)
@click.option("--access-log/--no-access-log", default=None, help="Log every request [off].")
@click.option(
    "--kafka-broker",
    metavar="HOST:PORT[,...]",
    help="Publish every predict and feedback as an event to these Kafka brokers "
    "(pip install 'tiffin[kafka]') [off].",
)
@click.option(
    "--predictions-topic", metavar="TOPIC", help="Topic of prediction events [tiffin-predictions]."
)
@click.option(
    "--feedback-topic", metavar="TOPIC", help="Topic of feedback events [tiffin-feedback]."
)
@click.option(
    "--event-inputs/--no-event-inputs", default=None, help="Put request inputs in events [on]."
)
@click.option(
    "--event-outputs/--no-event-outputs", default=None, help="Put model outputs in events [on]."
)
@click.option("--max-event-size", help="Largest event, e.g. 1MB [1000000 bytes].")
@click.option(
    "--console/--no-console", default=None, help="Serve the browser console at /console [on]."
)
@click.option("--max-body-size", help="Largest accepted request body, e.g. 16MB [16MiB].")
@click.option(
    "--grpc-max-message-size", help="Largest gRPC message received or sent, e.g. 64MB [16MiB]."
)
@click.option(
    "--model-uri",
    metavar="URI",
    help="Fetch the model (s3://, gs://, http(s)://, file:// or a path; a .tar.gz/.zip is "
    "extracted) into MODEL_DIR, else a cache dir, before serving [STORAGE_URI].",
)
@click.option(
    "--debug/--no-debug",
    default=None,
    help="One auto-reloading development process instead of gunicorn's workers [off].",
)
@handle_errors
def serve(path: str, no_grpc: bool, model_uri: str | None, **flags: object) -> None:
    """Serve the model in PATH over SageMaker, KServe V1, Open Inference V2, msgpack and REST,
    and Open Inference V2 over gRPC.

    PATH is a package directory, a tiffin.yaml, a pyproject.toml with [tool.tiffin], or a
    single .py file holding a model class; or a model repository: a directory of package
    directories, or a spec with a `models:` list, each model served under its own name.
    The model loads in the background: /ping and the readiness routes answer 503 (gRPC:
    not ready, health NOT_SERVING) until load() has returned.
    """
    from tiffin.spec.repository import find_repository
    from tiffin.storage import prepare_model_dir

    multi_model = os.environ.get("SAGEMAKER_MULTI_MODEL", "").lower() == "true"
    plan = find_repository(path, empty_ok=multi_model)
    if plan is not None:
        from tiffin.cli.serve_repository import serve_repository

        serve_repository(plan, no_grpc=no_grpc, model_uri=model_uri, flags=flags)
        return
    loaded = load_spec(path)
    prepare_model_dir(model_uri, defaults=loaded.spec.environment)
    settings = apply_env(loaded.spec.server, os.environ)
    settings = apply_overrides(settings, **flags)
    if no_grpc:
        settings = apply_overrides(settings, grpc_port=0)

    from tiffin.server.grpc_config import resolve_grpc_port
    from tiffin.server.runner import check_grpc_port, configure_logging

    configure_logging(settings.log_level)
    settings = resolve_grpc_port(settings)
    if settings.debug:
        from tiffin.server.events_config import events_options
        from tiffin.server.runner import serve_debug

        check_grpc_port(settings)
        events_options(settings)
        serve_debug(loaded, settings)
        return

    from tiffin.server.factory import create_app
    from tiffin.server.runner import serve_production

    app = create_app(loaded, settings)
    check_grpc_port(settings)
    grpc = f" and gRPC on {app.grpc.address}" if app.grpc else ""
    events = f"; events to Kafka at {app.events.brokers}" if app.events else ""
    click.echo(
        f"tiffin: serving {app.dataplane.name!r} on http://{settings.host}:{settings.port}"
        f"{grpc} ({settings.workers} worker{'s' if settings.workers > 1 else ''}){events}",
        err=True,
    )
    status = serve_production(app, settings)
    _explain(status)
    sys.exit(status)


def _explain(status: int) -> None:
    """Say why the server stopped, when it did not stop cleanly."""
    from tiffin.server.app import LOAD_FAILED_EXIT_CODE, START_FAILED_EXIT_CODE

    if status == LOAD_FAILED_EXIT_CODE:
        click.secho("error: the model failed to load; the reason is logged above", fg="red",
                    err=True)  # fmt: skip
        click.echo("hint: `tiffin predict PATH --data ...` reproduces it in-process", err=True)
    elif status == START_FAILED_EXIT_CODE:
        click.secho("error: the server could not start; the reason is logged above", fg="red",
                    err=True)  # fmt: skip
    elif status:
        click.secho(f"error: the server stopped with status {status}; see the log above",
                    fg="red", err=True)  # fmt: skip
