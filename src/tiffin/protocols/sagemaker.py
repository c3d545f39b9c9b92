"""SageMaker hosting: ``GET /ping``, ``POST /invocations``, ``GET /execution-parameters``."""

from __future__ import annotations

from tiffin.codecs import decoder_for, encode_result, encoder_for
from tiffin.inference.dataplane import DataPlane
from tiffin.protocols.context import ServerContext
from tiffin.protocols.http import Request, Response, Route, json_response

PROTOCOL = "sagemaker"
CUSTOM_ATTRIBUTES = b"x-amzn-sagemaker-custom-attributes"
MEGABYTE = 1024 * 1024
INVOCATION_TYPES = (
    "application/json",
    "text/csv",
    "application/x-npy",
    "application/jsonlines",
)


def routes(dp: DataPlane, ctx: ServerContext) -> list[Route]:
    """The SageMaker hosting routes over ``dp``."""

    async def ping(request: Request) -> Response:
        return Response(b"", 200 if dp.ready else 503, "text/plain")

    async def invocations(request: Request) -> Response:
        encoder = encoder_for(request.header(b"accept"), ctx.default_accept)
        payload = decoder_for(request.header(b"content-type")).decode(request.body)
        result = await dp.infer(payload, request_id=request.identify())
        attributes = request.header(CUSTOM_ATTRIBUTES)
        headers = [(CUSTOM_ATTRIBUTES, attributes.encode("latin-1"))] if attributes else None
        return Response(encode_result(encoder, result), 200, encoder.media_type, headers)

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
              responses={400: "malformed body", 406: "unacceptable Accept",
                         415: "unsupported Content-Type"}),
        Route("GET", "/execution-parameters", execution_parameters, PROTOCOL,
              "Batch transform tuning: MaxConcurrentTransforms, BatchStrategy, MaxPayloadInMB"),
    ]  # fmt: skip
