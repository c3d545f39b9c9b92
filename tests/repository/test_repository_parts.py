"""The repository's parts in-process: finding one, each model's settings, the app built
from it (several workers refuse changes at run time), lookups and the index."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest

from servers import FIXTURES
from tiffin.errors import ModelNotFound, ModelNotNamed, RepositoryChangeRefused, SpecError
from tiffin.inference.dataplane import DataPlane
from tiffin.inference.repository import ModelRepository, Slot
from tiffin.model.handle import ModelHandle
from tiffin.server.repository_factory import create_repository_app, model_settings
from tiffin.spec import ServerSettings
from tiffin.spec.repository import find_repository

PACKAGES = FIXTURES / "repository"


class Echo:
    def predict(self, rows):
        return rows


def slot(name: str) -> Slot:
    return Slot(name, lambda: DataPlane(ModelHandle(Echo, name=name), timeout=5))


def test_a_directory_of_packages_is_a_repository(tmp_path: Path) -> None:
    for name in ("doubler", "broken"):
        shutil.copytree(PACKAGES / name, tmp_path / name)
    (tmp_path / "notes").mkdir()  # no spec: not a model
    plan = find_repository(tmp_path)
    assert plan is not None
    assert [source.path.name for source in plan.sources] == ["broken", "doubler"]
    assert find_repository(PACKAGES / "doubler") is None  # one package
    empty = tmp_path / "empty"
    empty.mkdir()
    assert find_repository(empty) is None
    assert find_repository(empty, empty_ok=True).sources == []  # type: ignore[union-attr]


def test_a_models_list_names_versions_and_settings(tmp_path: Path) -> None:
    (tmp_path / "tiffin.yaml").write_text(
        f"server:\n  timeout: 9\nmodels:\n"
        f"  - path: {PACKAGES / 'doubler'}\n    name: twice\n    version: '7'\n    threads: 3\n"
        f"  - path: {PACKAGES / 'broken'}\n"
    )
    plan = find_repository(tmp_path)
    assert plan is not None and plan.settings.timeout == 9
    first, second = plan.sources
    assert (first.name, first.version, first.settings) == ("twice", "7", {"threads": 3})
    assert (second.name, second.settings) == (None, {})


def test_an_unknown_key_in_the_models_list_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "tiffin.yaml").write_text("models:\n  - path: a\n    thread: 2\n")
    with pytest.raises(SpecError, match="thread"):
        find_repository(tmp_path)


def test_a_model_setting_wins_over_its_package_and_the_server() -> None:
    server = ServerSettings(threads=2, timeout=30)
    package = ServerSettings(timeout=5, port=9999)  # a package's own port means nothing here
    settings = model_settings(server, package, {"threads": 4})
    assert (settings.threads, settings.timeout, settings.port) == (4, 5, 8080)


def test_lookups_name_the_served_models() -> None:
    models = ModelRepository([slot("a"), slot("b")])
    asyncio.run(models.start())
    assert models.ready and models.lookup("a").name == "a"
    with pytest.raises(ModelNotFound, match="served: a, b"):
        models.lookup("model")  # no alias in a repository
    with pytest.raises(ModelNotNamed, match=r"several models \(a, b\)"):
        models.default("say which")
    assert models.target("models/b.tar.gz").name == "b"
    models.close()


def test_one_model_keeps_its_alias_and_refuses_changes() -> None:
    dp = DataPlane(ModelHandle(Echo, name="solo"), timeout=5)
    models = ModelRepository.of_one(dp)
    assert models.lookup("model") is dp and models.default("unused") is dp
    with pytest.raises(RepositoryChangeRefused, match="one package"):
        models.unload("solo")


def test_several_workers_refuse_changes_at_run_time(tmp_path: Path) -> None:
    shutil.copytree(PACKAGES / "doubler", tmp_path / "doubler")
    plan = find_repository(tmp_path)
    assert plan is not None
    app = create_repository_app(plan, ServerSettings(workers=2, grpc_port=0))

    async def session() -> list[httpx.Response]:
        await (await app.startup())
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
                return [
                    await client.post("/v2/repository/models/doubler/unload"),
                    await client.post("/v1/models/doubler:predict", json={"instances": [[1]]}),
                ]
        finally:
            await app.shutdown()

    refused, answered = asyncio.run(session())
    assert refused.status_code == 409
    assert "2 workers" in refused.json()["error"]
    assert answered.json() == {"predictions": [[2.0]]}


def test_two_models_report_the_same_metric_into_one_family() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from tiffin.metrics import counter
    from tiffin.metrics.prometheus import MetricsRecorder

    registry = CollectorRegistry()
    first = MetricsRecorder("a", "1", registry=registry)
    first.record([counter("hits")])
    first.for_model("b", "2").record([counter("hits", 2)])
    text = generate_latest(registry).decode()
    assert 'hits_total{model="a",version="1"} 1.0' in text
    assert 'hits_total{model="b",version="2"} 2.0' in text


def test_packages_with_modules_of_the_same_name_each_serve_their_own(tmp_path: Path) -> None:
    for name in ("left", "right"):
        package = tmp_path / name
        package.mkdir()
        (package / "tiffin.yaml").write_text("model: model:Side\n")
        (package / "model.py").write_text(
            f"class Side:\n    def predict(self, rows):\n        return {name!r}\n"
        )
    plan = find_repository(tmp_path)
    assert plan is not None
    app = create_repository_app(plan, ServerSettings(grpc_port=0))

    async def session() -> list[object]:
        await (await app.startup())
        try:
            return [await app.models.lookup(name).infer([1]) for name in ("left", "right")]
        finally:
            await app.shutdown()

    assert asyncio.run(session()) == ["left", "right"]
