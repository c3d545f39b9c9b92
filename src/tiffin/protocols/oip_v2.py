"""Open Inference Protocol (KServe V2) over REST, with the binary tensor data extension.

An infer request is checked against the protocol's ``inference_request`` schema
(:mod:`tiffin.codecs.v2_schema`). KServe's V1 body, ``{"instances": [...]}``, is also
taken on ``/infer`` and answered ``{"predictions": [...]}``, as KServe's own V2 server does.
"""

from __future__ import annotations

from typing import Any

from tiffin.codecs import (
    decode_request_inputs,
    dumps,
    dumps_result,
    encode_binary_response,
    encode_tensor,
    split_binary_body,
)
from tiffin.codecs.v2_schema import check_inference_request
from tiffin.errors import InvalidInput, ModelNotReady
from tiffin.inference.repository import ModelRepository
from tiffin.protocols import oip_common
from tiffin.protocols.common import json_body
from tiffin.protocols.context import ServerContext
from tiffin.protocols.http import Request, Response, Route, json_response
from tiffin.protocols.kserve_v1 import unwrap_instances, wrap_predictions
from tiffin.protocols.oip_common import encode_stage, named_outputs, select_outputs

PROTOCOL = "oip_v2"
HEADER_LENGTH = b"inference-header-content-length"


def parse_request(request: Request) -> tuple[Any, memoryview | None]:
    """The JSON part of an infer request and, with the binary extension, its blobs.

    The JSON is not checked yet: it may be KServe's V1 body (:func:`is_instances_body`).
    """
    header_length = request.header(HEADER_LENGTH)
    if header_length is None:
        body, blobs = json_body(request), None
    else:
        try:
            length = int(header_length)
        except ValueError:
            raise InvalidInput(
                f"Inference-Header-Content-Length is not a number: {header_length!r}"
            ) from None
        body, blobs = split_binary_body(request.body, length)
    return body, blobs


def is_instances_body(body: Any, blobs: memoryview | None) -> bool:
    """KServe's V1 body on the V2 route: ``{"instances": [...]}`` and no ``inputs``."""
    return blobs is None and isinstance(body, dict) and "instances" in body and "inputs" not in body


def model_payload(body: dict[str, Any], blobs: memoryview | None) -> Any:
    """One input tensor goes to the model as an array; several as a dict by name."""
    inputs = decode_request_inputs(body, blobs)
    return oip_common.model_payload([(name, array) for name, array, _ in inputs])


def requested_outputs(
    outputs: dict[str, Any], body: dict[str, Any]
) -> tuple[dict[str, Any], set[str]]:
    """The outputs the body asks for, and which of them go binary."""
    everything_binary = bool((body.get("parameters") or {}).get("binary_data_output", False))
    return select_outputs(outputs, body.get("outputs"), everything_binary)


def encode_outputs(outputs: dict[str, Any]) -> list[dict[str, Any]]:
    """The model's named outputs as V2 tensors; one that is no tensor fails the ``encode``
    stage (the model has to change, not the request)."""
    with encode_stage():
        return [encode_tensor(name, value) for name, value in outputs.items()]


def tensor_response(
    response: dict[str, Any], outputs: dict[str, Any], binary: set[str]
) -> Response:
    """The infer response: JSON, or with the binary extension when outputs go binary."""
    if not binary:
        return Response(dumps(response))
    arrays = {item["name"]: outputs[item["name"]] for item in response["outputs"]
              if item["name"] in binary}  # fmt: skip
    payload, json_length = encode_binary_response(response, arrays)
    return Response(payload, 200, "application/octet-stream",
                    [(HEADER_LENGTH, str(json_length).encode())])  # fmt: skip


def routes(models: ModelRepository, ctx: ServerContext) -> list[Route]:
    """The Open Inference Protocol REST routes over the served ``models``."""

    async def server_metadata(request: Request) -> Response:
        return json_response(models.server_metadata())

    async def live(request: Request) -> Response:
        return json_response({"live": True})

    async def ready(request: Request) -> Response:
        if not models.ready:
            loading = [n for n in models.names if not models.model_ready(n)]
            raise ModelNotReady(", ".join(loading) or "model")
        return json_response({"ready": True})

    async def model_metadata(request: Request) -> Response:
        name, version = request.params["name"], version_of(request)
        return Response(dumps(models.lookup(name, version).model_metadata(name, version)))

    async def model_ready(request: Request) -> Response:
        name = request.params["name"]
        dp = models.lookup(name, version_of(request))
        if not dp.ready:
            raise ModelNotReady(name)
        return json_response({"name": name, "ready": True})

    async def infer(request: Request) -> Response:
        name = request.params["name"]
        dp = models.lookup(name, version_of(request))
        body, blobs = parse_request(request)
        if is_instances_body(body, blobs):
            result = await dp.infer(unwrap_instances(body), request_id=request.identify())
            return Response(dumps_result(wrap_predictions(result)))
        check_inference_request(body)
        request_id = request.identify(body.get("id"))
        result = await dp.infer(model_payload(body, blobs), request_id=request_id)
        outputs, binary = requested_outputs(named_outputs(result, dp.outputs), body)
        response: dict[str, Any] = {"model_name": name, "model_version": dp.version}
        if "id" in body:
            response["id"] = body["id"]
        response["parameters"] = {}
        response["outputs"] = encode_outputs(outputs)
        return tensor_response(response, outputs, binary)

    model = "/v2/models/{name}"
    versioned = "/v2/models/{name}/versions/{version}"
    errors = {400: "invalid tensors", 404: "unknown model", 503: "model still loading"}
    result = [
        Route("GET", "/v2", server_metadata, PROTOCOL, "Server metadata"),
        Route("GET", "/v2/health/live", live, PROTOCOL, "Server liveness"),
        Route("GET", "/v2/health/ready", ready, PROTOCOL, "Server readiness (503 while loading)",
              responses={503: "model still loading"}),
    ]  # fmt: skip
    for base in (model, versioned):
        result += [
            Route("GET", base, model_metadata, PROTOCOL, "Model metadata", responses=errors),
            Route("GET", base + "/ready", model_ready, PROTOCOL, "Model readiness",
                  responses=errors),
            Route("POST", base + "/infer", infer, PROTOCOL,
                  "Inference with tensors (JSON or the binary tensor data extension); "
                  'also {"instances": [...]} in, {"predictions": [...]} out',
                  request_types=("application/json", "application/octet-stream"),
                  response_types=("application/json", "application/octet-stream"),
                  responses=errors),
        ]  # fmt: skip
    return result


def version_of(request: Request) -> str | None:
    """The ``/versions/{version}`` segment, if the path has one."""
    return request.params.get("version")
