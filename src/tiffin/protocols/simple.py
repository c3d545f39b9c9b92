"""Simple REST: ``POST /api/ml/predict`` hands the decoded body to the model as it is.

A model whose ``predict(self, X, names)`` asks for feature names gets ml-deploy's (and
Seldon's) message instead: ``{"data": {"names": [...], "ndarray": [...]}}`` gives it the
rows as ``X`` and ``names`` (see :mod:`tiffin.protocols.messages`).
"""

from __future__ import annotations

from tiffin.codecs import decoder_for, encode_result, encoder_for
from tiffin.inference.repository import ModelRepository
from tiffin.protocols.context import ServerContext
from tiffin.protocols.http import Request, Response, Route
from tiffin.protocols.messages import message_values

PROTOCOL = "simple"


def routes(models: ModelRepository, ctx: ServerContext) -> list[Route]:
    """The simple REST route over the served model; a repository asks for a name."""

    async def predict(request: Request) -> Response:
        dp = models.default("ask a model by name: POST /v1/models/{name}:predict")
        encoder = encoder_for(request.header(b"accept"))
        payload = decoder_for(request.header(b"content-type")).decode(request.body)
        names = None
        if dp.takes_names:
            payload, names = message_values(payload)
        result = await dp.infer(payload, request_id=request.identify(), names=names)
        return Response(encode_result(encoder, result), 200, encoder.media_type)

    return [
        Route("POST", "/api/ml/predict", predict, PROTOCOL,
              "The body, decoded by its Content-Type, is the model's input; the result is "
              "returned as it is", request_types=("application/json",),
              responses={400: "malformed body"}),
    ]  # fmt: skip
