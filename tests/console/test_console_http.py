"""The console's HTTP side, in process: `/` negotiation, the page and its files, the models'
JSON, turning it off. The page itself is driven in Chromium by test_console_browser.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from pathlib import Path

import httpx
import pytest

from tiffin.console.assets import CONTENT_TYPES, assets, etag_matches
from tiffin.errors import ModelLoadError
from tiffin.inference.dataplane import DataPlane
from tiffin.model.handle import ModelHandle
from tiffin.model.info import PACKAGE_METADATA, ModelInfo, model_info
from tiffin.packaging.package import METADATA_FILE
from tiffin.protocols.common import prefers_html
from tiffin.server.app import TiffinApp
from tiffin.spec import ServerSettings, apply_env, apply_overrides, load_spec

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
STATIC = Path(__file__).resolve().parents[2] / "src" / "tiffin" / "console" / "static"


class Echo:
    inputs = [{"name": "features", "datatype": "FP64", "shape": [-1, 2]}]

    def predict(self, rows):
        return rows


class Broken:
    def load(self):
        raise FileNotFoundError("model/weights.bin is missing")

    def predict(self, rows):
        return rows


def serve(
    model: type,
    requests: list[tuple[str, str, dict]],
    *,
    load: bool = True,
    console: bool = True,
    info: ModelInfo | None = None,
) -> list[httpx.Response]:
    """Answer ``(method, path, options)`` requests from an app over ``model``."""

    async def session() -> list[httpx.Response]:
        handle = ModelHandle(model, name="m", version="7", info=info)
        app = TiffinApp(DataPlane(handle), console=console, on_load_failed=lambda error: None)
        if load:
            with contextlib.suppress(ModelLoadError):  # the console shows it
                await app.dataplane.load()
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
                return [await client.request(m, path, **options) for m, path, options in requests]
        finally:
            app.dataplane.close()

    return asyncio.run(session())


def get(path: str, accept: str | None = None, **headers: str) -> tuple[str, str, dict]:
    if accept is not None:
        headers["accept"] = accept
    return ("GET", path, {"headers": headers})


# -- GET / ----------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/html;q=0.5, */*"])
def test_root_stays_kserve_liveness_for_everything_but_a_browser(accept: str | None) -> None:
    (response,) = serve(Echo, [get("/", accept)])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b'{"status":"alive"}'


def test_root_is_the_console_for_a_browser() -> None:
    root, console = serve(Echo, [get("/", BROWSER), get("/console")])
    assert root.headers["content-type"] == "text/html; charset=utf-8"
    assert root.content == console.content
    assert "<title>tiffin console</title>" in root.text
    assert root.headers["vary"] == "accept"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (BROWSER, True),
        ("text/html", True),
        ("text/html, application/json;q=0.9", True),
        ("text/html, application/json", False),  # a tie keeps JSON
        ("application/json, text/html;q=0.9", False),
        ("text/*", False),
        ("*/*", False),
        ("", False),
        (None, False),
    ],
)
def test_prefers_html(accept: str | None, expected: bool) -> None:
    assert prefers_html(accept) is expected


# -- the page and its files --------------------------------------------------------------------


def test_the_page_may_reach_only_its_own_server() -> None:
    (response,) = serve(Echo, [get("/console")])
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "connect-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("name", sorted(assets()))
def test_every_file_has_its_type_and_an_etag_that_revalidates(name: str) -> None:
    path = "/console" if name == "index.html" else f"/console/static/{name}"
    (first,) = serve(Echo, [get(path)])
    suffix = name[name.rfind(".") :]
    assert first.status_code == 200
    assert first.headers["content-type"] == CONTENT_TYPES[suffix]
    assert first.headers["x-content-type-options"] == "nosniff"
    etag = first.headers["etag"]
    (again,) = serve(Echo, [get(path, **{"if-none-match": etag})])
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag


def test_a_trailing_slash_moves_to_the_page() -> None:
    (moved,) = serve(Echo, [get("/console/")])
    assert moved.status_code == 308
    assert moved.headers["location"] == "/console"


def test_etag_matching() -> None:
    assert etag_matches('"a", W/"b"', '"b"')
    assert etag_matches("*", '"b"')
    assert not etag_matches('"a"', '"b"')
    assert not etag_matches(None, '"b"')


def test_unknown_files_are_404() -> None:
    missing, page = serve(Echo, [get("/console/static/nope.js"), get("/console/static/index.html")])
    assert missing.status_code == 404
    assert missing.json() == {"error": "the console has no file 'nope.js'"}
    assert page.status_code == 404


def test_the_bundle_is_whole_and_offline() -> None:
    """Every file the page and its modules name is bundled; none names another host."""
    files = {path.name for path in STATIC.iterdir()}
    assert set(assets()) == files
    html = (STATIC / "index.html").read_text()
    named = set(re.findall(r'"console/static/([^"]+)"', html))
    for module in STATIC.glob("*.js"):
        named |= set(re.findall(r'from "\./([^"]+)"', module.read_text()))
    assert named and named <= files
    for path in STATIC.iterdir():
        text = path.read_text().replace('xmlns="http://www.w3.org/2000/svg"', "")  # a name
        assert not re.search(r"https?://", text), f"{path.name} names a URL"


def test_package_data_ships_the_static_files() -> None:
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert '"console/static/*"' in pyproject


# -- GET /console/api/models --------------------------------------------------------------------


def models(model: type, **options) -> dict:
    (response,) = serve(model, [get("/console/api/models")], **options)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    return response.json()


def test_models_of_a_ready_model() -> None:
    info = ModelInfo(description="echo", framework="sklearn", example_input=[[1, 2]])
    answer = models(Echo, info=info)
    assert answer["server"]["name"] == "tiffin"
    (model,) = answer["models"]
    assert model["load_seconds"] >= 0
    del model["load_seconds"]
    assert model == {
        "name": "m",
        "aliases": ["model"],
        "version": "7",
        "state": "ready",
        "error": None,
        "framework": "sklearn",
        "description": "echo",
        "example_input": [[1, 2]],
        "inputs": [{"name": "features", "datatype": "FP64", "shape": [-1, 2]}],
        "outputs": [],
    }


def test_models_while_loading() -> None:
    (model,) = models(Echo, load=False)["models"]
    assert model["state"] == "loading"
    assert model["error"] is None
    assert model["load_seconds"] is None


def test_models_after_a_failed_load_say_why() -> None:
    (model,) = models(Broken)["models"]
    assert model["state"] == "failed"
    assert model["error"]["message"] == (
        "model 'm' failed to load: FileNotFoundError: model/weights.bin is missing"
    )
    assert "tiffin predict" in model["error"]["hint"]


# -- turned off ---------------------------------------------------------------------------------


def test_without_the_console_its_routes_are_404_and_root_is_json() -> None:
    responses = serve(
        Echo,
        [get("/console"), get("/console/api/models"), get("/", BROWSER), get("/openapi.json")],
        console=False,
    )
    page, api, root, openapi = responses
    assert page.status_code == api.status_code == 404
    assert root.json() == {"status": "alive"}
    assert not [path for path in openapi.json()["paths"] if path.startswith("/console")]


def test_the_console_is_in_the_openapi_document() -> None:
    (openapi,) = serve(Echo, [get("/openapi.json")])
    paths = openapi.json()["paths"]
    assert {"/console", "/console/static/{file}", "/console/api/models"} <= set(paths)


def test_console_setting_from_spec_env_and_flag() -> None:
    assert ServerSettings().console is True
    assert ServerSettings.model_validate({"console": False}).console is False
    assert apply_env(ServerSettings(), {"TIFFIN_CONSOLE": "off"}).console is False
    assert apply_env(ServerSettings(console=False), {"TIFFIN_CONSOLE": "1"}).console is True
    assert apply_overrides(ServerSettings(), console=False).console is False
    with pytest.raises(Exception, match="TIFFIN_CONSOLE='maybe' is not a boolean"):
        apply_env(ServerSettings(), {"TIFFIN_CONSOLE": "maybe"})


# -- what the model's spec and package say -------------------------------------------------------


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)
    return directory


MODEL = "class M:\n    def predict(self, rows):\n        return rows\n"


def test_model_info_from_the_spec_and_the_package(tmp_path: Path) -> None:
    spec = "name: m\nmodel: model:M\ndescription: doubles\nexample_input: {a: [1], b: [x]}\n"
    metadata = json.dumps({"framework": "xgboost"})
    write(tmp_path, {"tiffin.yaml": spec, "model.py": MODEL, PACKAGE_METADATA: metadata})
    info = model_info(load_spec(tmp_path))
    assert info == ModelInfo("doubles", "xgboost", {"a": [1], "b": ["x"]})


@pytest.mark.parametrize("metadata", [None, "not json", "[1]", '{"framework": 3}'])
def test_model_info_without_a_readable_package_file(tmp_path: Path, metadata: str | None) -> None:
    files = {"tiffin.yaml": "name: m\nmodel: model:M\n", "model.py": MODEL}
    if metadata is not None:
        files[PACKAGE_METADATA] = metadata
    assert model_info(load_spec(write(tmp_path, files))) == ModelInfo()


def test_the_package_metadata_file_is_the_one_packaging_writes() -> None:
    assert PACKAGE_METADATA == METADATA_FILE


def test_example_input_must_be_json(tmp_path: Path) -> None:
    spec = "name: m\nmodel: model:M\nexample_input: 2024-01-01\n"
    with pytest.raises(Exception, match="example_input"):
        load_spec(write(tmp_path, {"tiffin.yaml": spec, "model.py": MODEL}))
