"""A model's own routes, ``endpoints(self, router)``: sync and async handlers, JSON in and
out, the query and path segments, the same error answers as built-in routes, the OpenAPI
listing, and a clash with a built-in route stopping the server at start-up."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from apptests import exposition, make_app, run

from servers import FIXTURES, start_server
from tiffin.errors import ContractError, InvalidInput, RouteClash, TiffinError
from tiffin.model.contract import check_model_class
from tiffin.model.endpoints import EndpointRouter
from tiffin.server.app import TiffinApp


class Tunable:
    """Serves its threshold, lets clients change it, and answers a few test routes."""

    def __init__(self):
        self.threshold = 0.5

    def predict(self, rows):
        return [int(row[0] > self.threshold) for row in rows]

    def current(self):
        """The threshold predict compares the first feature with."""
        return {"threshold": self.threshold}

    def endpoints(self, router):
        router.add("GET", "/threshold", self.current)

        @router.post("/threshold")
        async def change(body):
            await asyncio.sleep(0)
            self.threshold = body["value"]
            return {"threshold": self.threshold}

        @router.route("/items/{item_id}", methods=["GET", "DELETE"])
        def item(item_id, query):
            return {"item": item_id, "query": query}

        @router.get("/boom")
        def boom():
            raise ValueError("no luck")

        @router.get("/refuse")
        def refuse():
            raise InvalidInput("the threshold must be a number", hint="send {'value': 0.7}")


def test_custom_routes_answer_json_sync_and_async():
    async def scenario(client: httpx.AsyncClient, app: TiffinApp) -> None:
        assert (await client.get("/threshold")).json() == {"threshold": 0.5}
        changed = await client.post("/threshold", json={"value": 7})
        assert changed.status_code == 200 and changed.json() == {"threshold": 7}
        assert (await client.post("/api/ml/predict", json=[[8], [6]])).json() == [1, 0]
        item = await client.get("/items/42", params={"page": "2"})
        assert item.json() == {"item": "42", "query": {"page": "2"}}
        assert (await client.delete("/items/7")).json() == {"item": "7", "query": {}}
        assert 'tiffin_requests_total{protocol="custom",status="200"} 4.0' in exposition(app)

    run(make_app(Tunable), scenario)


def test_custom_routes_answer_errors_as_built_in_routes_do():
    async def scenario(client: httpx.AsyncClient, app: TiffinApp) -> list[httpx.Response]:
        return [await client.get("/boom"), await client.get("/refuse"),
                await client.post("/threshold", content=b"{not json",
                                  headers={"content-type": "application/json"}),
                await client.put("/threshold", json={})]  # fmt: skip

    boom, refuse, malformed, wrong_method = run(make_app(Tunable), scenario)
    assert boom.status_code == 500
    assert boom.json() == {"error": "GET /boom (Tunable.endpoints.<locals>.boom) raised "
                                    "ValueError: no luck"}  # fmt: skip
    assert refuse.status_code == 400
    assert refuse.json() == {"error": "the threshold must be a number",
                             "hint": "send {'value': 0.7}"}  # fmt: skip
    assert malformed.status_code == 400
    assert wrong_method.status_code == 405


def test_custom_routes_are_listed_in_the_openapi_document():
    async def scenario(client: httpx.AsyncClient, app: TiffinApp) -> dict:
        return (await client.get("/openapi.json")).json()

    paths = run(make_app(Tunable), scenario)["paths"]
    assert paths["/threshold"]["get"]["summary"] == "The threshold predict compares the first " \
                                                    "feature with."  # fmt: skip
    assert paths["/threshold"]["get"]["tags"] == ["custom"]
    assert "requestBody" in paths["/threshold"]["post"]
    assert set(paths["/items/{item_id}"]) == {"get", "delete"}
    assert paths["/items/{item_id}"]["get"]["parameters"][0]["name"] == "item_id"
    assert "/api/ml/feedback" in paths and "/v1/models/{name}:feedback" in paths


class Clashing:
    def predict(self, inputs):
        return inputs

    def endpoints(self, router):
        router.add("POST", "/v1/models/{model}:predict", lambda body, model: body)


def test_a_clash_with_a_built_in_route_stops_the_worker_naming_both():
    failures: list[TiffinError] = []

    async def scenario(client: httpx.AsyncClient, app: TiffinApp) -> int:
        return (await client.post("/v1/models/m:predict", json={"instances": [1]})).status_code

    assert run(make_app(Clashing, failures), scenario) == 200  # the built-in route still
    (clash,) = failures
    assert isinstance(clash, RouteClash)
    assert clash.message == (
        "the model's endpoint POST /v1/models/{model}:predict "
        "(Clashing.endpoints.<locals>.<lambda>) clashes with the kserve_v1 route "
        "POST /v1/models/{name}:predict: both have the same method and path"
    )


def test_a_clash_stops_tiffin_serve_with_one_line(tmp_path):
    server = start_server(FIXTURES / "feedback" / "clash_model.py", tmp_path, "--no-grpc")
    assert server.process.wait(60) == 4
    server.client.close()
    errors = [line for line in server.log.splitlines() if "error" in line.lower()]
    assert any(
        "the model's endpoint GET /ping (Clashing.endpoints.<locals>.ping) clashes with the "
        "sagemaker route GET /ping" in line
        for line in errors
    ), server.log
    assert "error: the server could not start; the reason is logged above" in server.log


@pytest.mark.parametrize(
    ("add", "message"),
    [
        (lambda r: r.add("FETCH", "/x", lambda: 1), "the method must be one of GET, POST"),
        (lambda r: r.add("GET", "x", lambda: 1), "a path starts with '/'"),
        (lambda r: r.add("GET", "/x", "not callable"), "'not callable' is not callable"),
        (lambda r: r.add("GET", "/x", lambda body, user: 1), "asks for 'user', which no request"),
        (lambda r: r.add("GET", "/x/{id}", lambda: 1), "has no parameter for id"),
        (lambda r: [r.add("GET", "/x/{a}", lambda a: 1), r.add("GET", "/x/{b}", lambda b: 1)],
         "custom endpoint GET /x/{b} is added twice"),
    ],
)  # fmt: skip
def test_a_bad_endpoint_is_a_contract_error(add, message):
    with pytest.raises(ContractError, match=message.replace("(", r"\(").replace(")", r"\)")):
        add(EndpointRouter())


def test_the_endpoints_method_is_checked_at_load():
    class NoRouter:
        def predict(self, inputs):
            return inputs

        def endpoints(self):
            return None

    with pytest.raises(ContractError, match=r"endpoints\(self\) .* must take 1 argument"):
        check_model_class(NoRouter)
