"""``tiffin serve`` of a model repository: many models, one server."""

from __future__ import annotations

import os
import sys

import click

from tiffin.errors import SpecError
from tiffin.spec import apply_env, apply_overrides
from tiffin.spec.repository import RepositoryPlan


def serve_repository(
    plan: RepositoryPlan, *, no_grpc: bool, model_uri: str | None, flags: dict[str, object]
) -> None:
    """Serve every model of ``plan`` under gunicorn until stopped; exit with its status.

    A model that fails to load is reported (FAILED, with its reason) while the others
    serve; the server itself stops only if it cannot start.
    """
    if model_uri:
        raise SpecError("--model-uri fetches one package; a repository names its own packages",
                        key="--model-uri")  # fmt: skip
    settings = apply_overrides(apply_env(plan.settings, os.environ), **flags)
    if no_grpc:
        settings = apply_overrides(settings, grpc_port=0)
    if settings.debug:
        raise SpecError("--debug reloads one package; serve a repository without it",
                        key="--debug")  # fmt: skip

    from tiffin.cli.serve import _explain
    from tiffin.server.grpc_config import resolve_grpc_port
    from tiffin.server.repository_factory import create_repository_app
    from tiffin.server.runner import check_grpc_port, configure_logging, serve_production

    configure_logging(settings.log_level)
    settings = resolve_grpc_port(settings)
    app = create_repository_app(plan, settings)
    check_grpc_port(settings)
    names = ", ".join(app.models.names) or "none yet"
    grpc = f" and gRPC on {app.grpc.address}" if app.grpc else ""
    click.echo(
        f"tiffin: serving {len(app.models.names)} models ({names}) from {plan.root} on "
        f"http://{settings.host}:{settings.port}{grpc} ({settings.workers} worker"
        f"{'s' if settings.workers > 1 else ''})",
        err=True,
    )
    status = serve_production(app, settings)
    _explain(status)
    sys.exit(status)
