"""SageMaker hosting: ``GET /ping``, ``POST /invocations``, ``GET /execution-parameters``.

A server of several models answers ``/invocations`` with the model its
``X-Amzn-SageMaker-Target-Model`` header names (:mod:`tiffin.protocols.sagemaker_mme` has
the multi-model endpoints' own routes).
"""

from __future__ import annotations

from tiffin.codecs import decoder_for, encode_result, encoder_for
from tiffin.inference.dataplane import DataPlane
from tiffin.inference.repository import ModelRepository
from tiffin.protocols.context import ServerContext
from tiffin.protocols.http import Request, Response, Route, json_response

PROTOCOL = "sagemaker"
CUSTOM_ATTRIBUTES = b"x-amzn-sagemaker-custom-attributes"
TARGET_MODEL = (b"x-amzn-sagemaker-target-model", b"x-amzn-target-model")
"""The header naming the model of a multi-model invocation, and its other spelling."""
MEGABYTE = 1024 * 1024
INVOCATION_TYPES = (
    "application/json",
    "text/csv",
    "application/x-npy",
    "application/jsonlines",
)


def routes(models: ModelRepository, ctx: ServerContext) -> list[Route]:
    """The SageMaker hosting routes over the served ``models``."""

    async def ping(request: Request) -> Response:
        return Response(b"", 200 if models.ready else 503, "text/plain")

    async def invocations(request: Request) -> Response:
        return await invoke(target_model(models, request), request, ctx)

    async def execution_parameters(request: Request) -> Response:
        return json_response(
            {
                "MaxConcurrentTransforms": ctx.workers,
                "BatchStrategy": "MULTI_RECORD",
                "MaxPayloadInMB": max(1, min(100, ctx.max_body_size // MEGABYTE)),
            }
        )

    return [
        Route("GET", "/ping", ping, PROTOCOL, "Health: 200 once the model has loaded, else 503",
              response_types=("text/plain",), responses={503: "model still loading"}),
        Route("POST", "/invocations", invocations, PROTOCOL,
              "Predict; the body's Content-Type picks the decoder, Accept picks the encoder",
              request_types=INVOCATION_TYPES, response_types=INVOCATION_TYPES,
              responses={400: "malformed body, or no target model on a server of several",
                         404: "the target model is not served", 406: "unacceptable Accept",
                         415: "unsupported Content-Type"}),
        Route("GET", "/execution-parameters", execution_parameters, PROTOCOL,
              "Batch transform tuning: MaxConcurrentTransforms, BatchStrategy, MaxPayloadInMB"),
    ]  # fmt: skip


def target_model(models: ModelRepository, request: Request) -> DataPlane:
    """The model an invocation is for: the one model of a package's server, else the one
    the target-model header names."""
    if models.single is not None:
        return models.single
    for header in TARGET_MODEL:
        value = request.header(header)
        if value:
            return models.target(value)
    return models.default(
        "name the model in the X-Amzn-SageMaker-Target-Model header, or POST to "
        "/models/{name}/invoke"
    )


async def invoke(dp: DataPlane, request: Request, ctx: ServerContext) -> Response:
    """Run ``dp`` on an invocation: the body decoded by its Content-Type, the result
    encoded by Accept, the custom attributes echoed."""
    encoder = encoder_for(request.header(b"accept"), ctx.default_accept)
    payload = decoder_for(request.header(b"content-type")).decode(request.body)
    result = await dp.infer(payload, request_id=request.identify())
    attributes = request.header(CUSTOM_ATTRIBUTES)
    headers = [(CUSTOM_ATTRIBUTES, attributes.encode("latin-1"))] if attributes else None
    return Response(encode_result(encoder, result), 200, encoder.media_type, headers)
