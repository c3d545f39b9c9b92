"""The package spec: ``tiffin.yaml`` or ``[tool.tiffin]``, validated and located.

load_spec(path)            -> LoadedSpec(spec, root, source)
apply_env(settings, env)   -> ServerSettings overridden by TIFFIN_* (and KAFKA_BROKER,
                              HTTP_PORT, GUNICORN_*...) variables: ENV_VARIABLES
apply_overrides(settings, port=..., ...) -> ServerSettings overridden by CLI flags
model_name(spec, env)      -> the served name (MODEL_NAME wins)
"""

from tiffin.spec._fields import NAME_PATTERN, parse_size
from tiffin.spec.loader import (
    ENV_VARIABLES,
    LoadedSpec,
    apply_env,
    apply_overrides,
    load_spec,
    model_name,
)
from tiffin.spec.model import ProjectSpec, ServerSettings

__all__ = [
    "ENV_VARIABLES",
    "NAME_PATTERN",
    "LoadedSpec",
    "ProjectSpec",
    "ServerSettings",
    "apply_env",
    "apply_overrides",
    "load_spec",
    "model_name",
    "parse_size",
]
