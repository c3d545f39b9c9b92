"""Binary predictions over msgpack: numpy arrays round-trip with their dtype and shape."""

from __future__ import annotations

from tiffin.codecs import decoder_for, encode_result
from tiffin.inference.repository import ModelRepository
from tiffin.protocols.common import require_media_type
from tiffin.protocols.context import ServerContext
from tiffin.protocols.http import Request, Response, Route
from tiffin.protocols.kserve_v1 import wrap_predictions
from tiffin.protocols.messages import names_of

PROTOCOL = "binary"
MEDIA_TYPE = "application/x-msgpack"
ACCEPTED = ("application/x-msgpack", "application/msgpack")


def routes(models: ModelRepository, ctx: ServerContext) -> list[Route]:
    """The msgpack prediction route over the served ``models``."""
    codec = decoder_for(MEDIA_TYPE)

    async def predict_binary(request: Request) -> Response:
        dp = models.lookup(request.params["name"])
        require_media_type(request, ACCEPTED)
        body = codec.decode(request.body)
        request_id = request.identify()
        if isinstance(body, dict) and ("instances" in body or "inputs" in body):
            inputs = body["instances"] if "instances" in body else body["inputs"]
            names = names_of(body) if dp.takes_names else None
            result = wrap_predictions(await dp.infer(inputs, request_id=request_id, names=names))
        else:
            result = await dp.infer(body, request_id=request_id)
        return Response(encode_result(codec, result), 200, MEDIA_TYPE)

    return [
        Route("POST", "/v1/models/{name}:predict_binary", predict_binary, PROTOCOL,
              'msgpack in and out; {"instances": array} gets {"predictions": array} back',
              request_types=ACCEPTED, response_types=(MEDIA_TYPE,),
              responses={400: "malformed msgpack", 404: "unknown model", 415: "not msgpack"}),
    ]  # fmt: skip
