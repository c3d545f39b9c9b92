"""Check an InferenceService against the schema of KServe's own CRD, before any call.

tiffin ships the CRD's ``v1beta1`` openAPIV3Schema (``inferenceservice_v1beta1.schema
.json.gz``, derived by ``scripts/kserve_schema.py``; KServe, Apache License 2.0: see
NOTICE). It is applied with ``jsonschema`` (the ``kserve`` extra), plus what an API server
adds under ``fieldValidation=Strict``: a field the schema does not know is refused, with
a "did you mean" when one is close. A failure names the field's path:
``spec.predictor.scaleMetric: 'latency' is not one of ['cpu', 'memory', ...]``.
"""

from __future__ import annotations

import difflib
import functools
import gzip
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

from tiffin.errors import DeployError

SCHEMA_FILE = "inferenceservice_v1beta1.schema.json.gz"
EXTRA_HINT = "pip install 'tiffin[kserve]'"
LONG_PATTERN = 40


@functools.lru_cache(maxsize=1)
def inference_service_schema() -> dict[str, Any]:
    """The shipped schema of ``serving.kserve.io/v1beta1`` InferenceService."""
    data = resources.files("tiffin.deploy.kserve").joinpath(SCHEMA_FILE).read_bytes()
    loaded: dict[str, Any] = json.loads(gzip.decompress(data))
    return loaded


def field_path(parts: Iterable[str | int]) -> str:
    """``['spec', 'predictor', 'containers', 0]`` -> ``spec.predictor.containers[0]``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif "." in part or "/" in part:
            text += f"[{part!r}]"
        else:
            text += f".{part}" if text else part
    return text or "(the object)"


def validate(obj: dict[str, Any], schema: dict[str, Any] | None = None) -> None:
    """Raise :class:`DeployError` naming the first field of ``obj`` the schema refuses."""
    schema = schema if schema is not None else inference_service_schema()
    validator = _validator_class()(schema)
    error = _best_match(validator.iter_errors(obj))
    if error is not None:
        path = field_path(error.absolute_path)
        raise DeployError(f"{path}: {_wording(error)}", hint=SCHEMA_HINT)
    unknown = unknown_field(obj, schema, ())
    if unknown is not None:
        where, key, known = unknown
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else SCHEMA_HINT
        raise DeployError(f"{field_path((*where, key))}: the CRD has no such field", hint=hint)


SCHEMA_HINT = "the schema is KServe's CRD for InferenceService v1beta1 (`kubectl explain isvc`)"


def _validator_class() -> Any:
    try:
        import jsonschema
    except ImportError as exc:
        raise DeployError(f"checking an InferenceService needs jsonschema: {EXTRA_HINT}") from exc
    return jsonschema.Draft4Validator


def _best_match(errors: Iterable[Any]) -> Any:
    from jsonschema.exceptions import best_match

    return best_match(errors)


def _wording(error: Any) -> str:
    """jsonschema's message, without a long regular expression in it."""
    pattern = str(error.validator_value)
    if error.validator == "pattern" and "[KMGTPE]i" in pattern:
        return f"{error.instance!r} is not a Kubernetes quantity (e.g. 500m, 1, 2Gi)"
    if error.validator == "pattern" and len(pattern) > LONG_PATTERN:
        return f"{error.instance!r} does not have the form the CRD requires"
    return str(error.message)


def unknown_field(
    instance: Any, schema: dict[str, Any], path: tuple[str | int, ...]
) -> tuple[tuple[str | int, ...], str, list[str]] | None:
    """(path, key, known keys) of the first key the schema does not declare, else None.

    Objects with ``additionalProperties`` or ``x-kubernetes-preserve-unknown-fields``
    take any key; their values are checked against ``additionalProperties``.
    """
    if isinstance(instance, list):
        items = schema.get("items")
        for index, item in enumerate(instance):
            found = unknown_field(item, items, (*path, index)) if isinstance(items, dict) else None
            if found:
                return found
        return None
    if not isinstance(instance, dict):
        return None
    properties = schema.get("properties")
    extra = schema.get("additionalProperties")
    open_ended = extra is not None or schema.get("x-kubernetes-preserve-unknown-fields")
    for key, value in instance.items():
        child = (properties or {}).get(key, extra if isinstance(extra, dict) else None)
        if child is None and properties is not None and not open_ended:
            return path, key, sorted(properties)
        found = unknown_field(value, child, (*path, key)) if isinstance(child, dict) else None
        if found:
            return found
    return None
