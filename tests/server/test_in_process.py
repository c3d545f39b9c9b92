"""Fast, in-process checks of the server's parts: the router, the error table, the OpenAPI
document, and answers from the ASGI app itself (httpx's ASGI transport, no socket).

The end-to-end tests beside these start real `tiffin serve` processes; these pin down the
pieces so that a failure points at one of them.
"""

from __future__ import annotations

import asyncio

import httpx
import numpy as np
import pytest

from tiffin import errors
from tiffin.inference.dataplane import DataPlane
from tiffin.model.handle import ModelHandle
from tiffin.server.app import TiffinApp
from tiffin.server.errors import status_for
from tiffin.server.routing import MethodNotAllowed, Router


class Cube:
    """Answers every row with a 2x2 block: a 3-D result."""

    def predict(self, rows):
        return np.ones((len(rows), 2, 2))


class Opaque:
    """Answers with an object no codec can write."""

    def predict(self, rows):
        return object()


def app_for(model_class: type) -> TiffinApp:
    """An app over ``model_class``, not yet loaded."""
    handle = ModelHandle(model_class, name="m")
    return TiffinApp(DataPlane(handle, timeout=5), on_load_failed=lambda error: None)


def ask(model_class: type, *requests: tuple[str, str, dict]) -> list[httpx.Response]:
    """Load a model and send ``(method, path, httpx options)`` requests in one event loop."""

    async def session() -> list[httpx.Response]:
        app = app_for(model_class)
        await app.dataplane.load()
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
                return [await client.request(m, path, **options) for m, path, options in requests]
        finally:
            app.dataplane.close()

    return asyncio.run(session())


# -- the error table -------------------------------------------------------------------------

STATUSES = [
    (errors.InvalidInput("bad"), 400),
    (errors.PayloadTooLarge(10, 5), 413),
    (errors.UnsupportedMediaType("text/x", ["application/json"]), 415),
    (errors.NotAcceptable("text/x", ["application/json"]), 406),
    (errors.ResultNotEncodable("text/csv", "3-D"), 406),
    (errors.ModelNotFound("m"), 404),
    (errors.ModelNotReady("m"), 503),
    (errors.ModelLoadError("broken"), 503),
    (errors.PredictionTimeout("m", 1.0), 504),
    (errors.PredictionFailed("predict", ValueError("x")), 500),
    (errors.FeedbackNotSupported("m"), 501),
    (errors.ModelNotNamed(["a", "b"], "name one"), 400),
    (errors.RepositoryChangeRefused("m", "two workers"), 409),
    (errors.SpecError("not a request error"), 500),
]


@pytest.mark.parametrize(("error", "status"), STATUSES, ids=lambda v: type(v).__name__)
def test_each_error_has_the_status_a_client_expects(error: errors.TiffinError, status: int):
    assert status_for(error) == status


def test_every_inference_error_is_in_the_table() -> None:
    listed = {type(error) for error, _ in STATUSES}
    subclasses = set(errors.InferenceError.__subclasses__())
    subclasses |= {s for c in list(subclasses) for s in c.__subclasses__()}
    assert subclasses <= listed


# -- the router ------------------------------------------------------------------------------


def test_router_matches_literals_templates_and_head() -> None:
    router = app_for(Cube).router
    route, params = router.match("POST", "/v2/models/m/infer") or (None, None)
    assert route is not None and route.protocol == "oip_v2" and params == {"name": "m"}
    route, params = router.match("HEAD", "/ping") or (None, None)
    assert route is not None and route.method == "GET" and params == {}
    assert router.match("GET", "/nowhere") is None
    with pytest.raises(MethodNotAllowed) as refused:
        router.match("DELETE", "/invocations")
    assert refused.value.allowed == ["POST"]


def test_a_template_param_does_not_cross_a_slash() -> None:
    router = Router(app_for(Cube).router.routes)
    assert router.match("POST", "/v2/models/a/b/infer") is None


# -- the OpenAPI document --------------------------------------------------------------------


def test_openapi_lists_every_route_once_with_its_parameters() -> None:
    (answer,) = ask(Cube, ("GET", "/openapi.json", {}))
    document = answer.json()
    routes = app_for(Cube).router.routes
    operations = [
        (path, method) for path, methods in document["paths"].items() for method in methods
    ]
    assert sorted(operations) == sorted((r.path, r.method.lower()) for r in routes)
    ids = [op["operationId"] for methods in document["paths"].values() for op in methods.values()]
    assert len(ids) == len(set(ids))
    infer = document["paths"]["/v2/models/{name}/infer"]["post"]
    assert [p["name"] for p in infer["parameters"]] == ["name"]
    assert document["info"]["title"] == "tiffin: m"


# -- encoding the result ---------------------------------------------------------------------


def test_a_result_csv_cannot_hold_is_406_with_what_to_ask_for() -> None:
    answer, fine = ask(
        Cube,
        ("POST", "/invocations", {"json": [[1, 2]], "headers": {"accept": "text/csv"}}),
        ("POST", "/invocations", {"json": [[1, 2]], "headers": {"accept": "application/json"}}),
    )
    assert answer.status_code == 406
    body = answer.json()
    assert body["error"].startswith("the model's result cannot be encoded as text/csv")
    assert "Accept: application/json" in body["hint"]
    assert fine.status_code == 200 and fine.json() == [[[1.0, 1.0], [1.0, 1.0]]]


def test_a_result_no_codec_can_write_is_a_500_naming_the_encode_stage() -> None:
    paths = {"/invocations": [[1]], "/v1/models/m:predict": {"instances": [1]},
             "/v2/models/m/infer": {"instances": [1]}}  # fmt: skip
    answers = ask(Opaque, *(("POST", path, {"json": body}) for path, body in paths.items()))
    for path, answer in zip(paths, answers, strict=True):
        assert answer.status_code == 500, path
        assert answer.json()["error"].startswith("encode raised TypeError"), path
