"""Feedback: ``POST /api/ml/feedback`` and ``POST /v1/models/{name}:feedback`` hand the true
values of earlier predictions to the model's ``feedback(inputs, truth, predicted)``.

The body is a JSON object::

    {"inputs": [[5.1, 3.5, 1.4, 0.2]], "truth": [0], "predicted": [0]}

``truth`` is required; ``inputs`` and ``predicted`` may be left out (the model gets
``None``). ml-deploy's and Seldon's spellings are read too: ``data`` or ``input_data``
(or Seldon's ``request``) for the inputs, ``y_true`` for the truth, ``y_predicted`` (or
Seldon's ``response``) for the predictions; a part may be a Seldon message
(``{"data": {"ndarray": [...]}}``). The answer is what ``feedback`` returns, as JSON.
"""

from __future__ import annotations

from typing import Any

from tiffin.codecs import dumps_result
from tiffin.errors import InvalidInput
from tiffin.inference.dataplane import DataPlane
from tiffin.inference.repository import ModelRepository
from tiffin.protocols.common import json_body
from tiffin.protocols.context import ServerContext
from tiffin.protocols.http import Request, Response, Route
from tiffin.protocols.messages import message_values

PROTOCOL = "feedback"
PARTS = {
    "inputs": ("inputs", "data", "input_data", "request"),
    "truth": ("truth", "y_true"),
    "predicted": ("predicted", "y_predicted", "response"),
}
"""Each argument of ``feedback`` and the keys that may hold it, tiffin's first."""
IGNORED = ("reward", "meta", "id", "names")
"""Keys of ml-deploy and Seldon feedback that are not passed on."""
EXAMPLE = '{"inputs": [[5.1, 3.5, 1.4, 0.2]], "truth": [0], "predicted": [0]}'


def parse_feedback(body: Any) -> dict[str, Any]:
    """The ``inputs``, ``truth`` and ``predicted`` of a feedback body; InvalidInput if it
    is not an object, has no truth, names one part twice or has an unknown key."""
    if not isinstance(body, dict):
        raise InvalidInput("feedback is a JSON object", hint=f"send {EXAMPLE}")
    known = {key for keys in PARTS.values() for key in keys} | set(IGNORED)
    unknown = sorted(set(body) - known)
    if unknown:
        raise InvalidInput(f"unknown key(s) in the feedback: {', '.join(unknown)}; expected "
                           "inputs, truth and predicted", hint=f"send {EXAMPLE}")  # fmt: skip
    parts: dict[str, Any] = {}
    for part, keys in PARTS.items():
        given = [key for key in keys if key in body]
        if len(given) > 1:
            raise InvalidInput(f"the feedback gives {part} twice: {' and '.join(given)}")
        parts[part] = message_values(body[given[0]])[0] if given else None
    if not any(key in body for key in PARTS["truth"]):
        raise InvalidInput('the feedback has no "truth" (or "y_true")', hint=f"send {EXAMPLE}")
    return parts


def routes(models: ModelRepository, ctx: ServerContext) -> list[Route]:
    """The feedback routes over the served ``models``."""

    async def give(dp: DataPlane, request: Request) -> Response:
        parts = parse_feedback(json_body(request))
        output = await dp.feedback(**parts, request_id=request.identify())
        return Response(dumps_result(output))

    async def feedback(request: Request) -> Response:
        hint = "send feedback to POST /v1/models/{name}:feedback"
        return await give(models.default(hint), request)

    async def model_feedback(request: Request) -> Response:
        return await give(models.lookup(request.params["name"]), request)

    summary = (
        'Feedback: {"inputs", "truth", "predicted"} (or ml-deploy\'s "data", '
        '"y_true", "y_predicted") to the model\'s feedback(); answers its output'
    )
    errors = {400: "malformed feedback, or truth and predicted of different lengths",
              501: "the model has no feedback method"}  # fmt: skip
    return [
        Route("POST", "/api/ml/feedback", feedback, PROTOCOL, summary,
              request_types=("application/json",), responses=errors),
        Route("POST", "/v1/models/{name}:feedback", model_feedback, PROTOCOL, summary,
              request_types=("application/json",), responses={**errors, 404: "unknown model"}),
    ]  # fmt: skip
