"""The console in headless Chromium against real `tiffin serve` processes: it loads, predicts
over every protocol, shows the server's 400 next to the field, draws live charts, shows a
loading model, and asks nothing of any other host."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from servers import FIXTURES, ROOT, TIFFIN, Server, free_port, start_server

pytestmark = pytest.mark.slow

SINGLE = FIXTURES / "single_file"
VERSICOLOR = [6.0, 2.9, 4.5, 1.5]
JSON = {"content-type": "application/json"}
SCREENSHOT = ROOT / "docs" / "img" / "console.png"


def wait_for_state(console: Any, state: str) -> None:
    console.page.wait_for_selector(f'#models tr[data-state="{state}"]')


def predict(console: Any, protocol: str, text: str) -> tuple[int, str]:
    """Send ``text`` from the form over ``protocol``: (HTTP status, the response shown)."""
    page = console.page
    page.select_option("#protocol", protocol)
    page.fill('#fields textarea[name="features"]', text)
    page.evaluate("document.getElementById('result').removeAttribute('data-status')")
    page.click("#send")
    page.wait_for_selector("#result[data-status]")
    return int(page.get_attribute("#result", "data-status")), page.text_content("#result-body")


POSITIVE = """([selector, key]) => {
  const figure = document.querySelector(selector);
  return JSON.parse((figure && figure.dataset.latest) || "{}")[key] > 0;
}"""


def wait_positive(console: Any, selector: str, key: str) -> None:
    """Wait until the chart ``selector`` draws a latest value above 0 for ``key``.

    (A function, not an expression: the page's CSP forbids eval.)"""
    console.page.wait_for_function(POSITIVE, arg=[selector, key])


def latest(console: Any, chart: str) -> dict[str, float | None]:
    return json.loads(console.page.get_attribute(f"#{chart}", "data-latest") or "{}")


# -- the iris example ---------------------------------------------------------------------------


def test_page_loads_at_console_and_at_root(iris_server: Server, console: Any) -> None:
    browser = console(iris_server.url)
    browser.open("/console")
    wait_for_state(browser, "ready")
    row = browser.page.locator('#models tr[data-model="iris"]')
    assert row.locator('[data-field="version"]').text_content() == "1"
    assert row.locator(".badge").text_content() == "ready"
    assert row.locator('[data-field="inputs"]').text_content() == "features FP64 [-1, 4]"
    assert "iris flower" in row.locator('[data-field="description"]').text_content()
    example = browser.page.input_value('#fields textarea[name="features"]')
    assert json.loads(example) == [[5.1, 3.5, 1.4, 0.2]]  # the spec's example_input
    browser.screenshot("loaded")

    browser.open("/")
    assert browser.page.title() == "tiffin console"
    wait_for_state(browser, "ready")
    assert browser.outside_requests() == []


@pytest.mark.parametrize("protocol", ["sagemaker-json", "sagemaker-csv", "kserve-v1", "oip-v2"])
def test_predicts_over_each_protocol(
    iris_server: Server, iris_reference: Any, console: Any, protocol: str
) -> None:
    browser = console(iris_server.url)
    browser.open()
    wait_for_state(browser, "ready")
    rows = [VERSICOLOR, [5.1, 3.5, 1.4, 0.2]]
    status, shown = predict(browser, protocol, json.dumps(rows))
    assert status == 200, shown
    expected = iris_reference.predict(np.array(rows)).tolist()
    assert species(protocol, shown) == expected
    assert browser.page.text_content("#result-latency").endswith(" ms")

    command = browser.page.text_content("#curl")
    assert command.startswith(f"curl -sS -X POST '{iris_server.url}/")
    ran = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=30)
    assert species(protocol, ran.stdout) == expected  # the curl command does the same
    browser.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    browser.page.click("#copy-curl")
    browser.page.wait_for_selector("#copied", state="visible")
    assert browser.page.evaluate("() => navigator.clipboard.readText()") == command
    browser.screenshot(f"predict-{protocol}")


def species(protocol: str, text: str) -> list[int]:
    """The predicted species ids in a response body as each protocol words it."""
    if protocol == "sagemaker-csv":
        return [int(float(line)) for line in text.split()]
    body = json.loads(text)
    if protocol == "kserve-v1":
        return body["predictions"]
    if protocol == "oip-v2":
        return body["outputs"][0]["data"]
    return body


@pytest.mark.parametrize("protocol", ["sagemaker-json", "kserve-v1", "oip-v2"])
def test_a_value_that_does_not_parse_shows_the_servers_400_by_the_field(
    iris_server: Server, console: Any, protocol: str
) -> None:
    browser = console(iris_server.url)
    browser.open()
    wait_for_state(browser, "ready")
    status, shown = predict(browser, protocol, "[[5.1, oops]]")
    assert status == 400
    error = browser.page.locator('.field[data-input="features"] .field-error')
    assert error.is_visible()
    message = json.loads(shown)["error"]
    assert message.startswith("malformed JSON")
    assert error.text_content().startswith(message)
    textarea = browser.page.locator('#fields textarea[name="features"]')
    assert textarea.get_attribute("aria-invalid") == "true"
    browser.screenshot(f"bad-value-{protocol}")

    status, _ = predict(browser, protocol, json.dumps([VERSICOLOR]))
    assert status == 200
    assert not error.is_visible()  # cleared by the next answer


def test_charts_draw_and_update_after_traffic(iris_server: Server, console: Any) -> None:
    browser = console(iris_server.url)
    browser.open()
    wait_for_state(browser, "ready")
    page = browser.page
    page.wait_for_function("() => document.getElementById('chart-rps').dataset.points")
    before = page.get_attribute("#chart-rps", "data-points")

    with httpx.Client(base_url=iris_server.url, timeout=10) as client:
        for _ in range(30):
            assert client.post("/invocations", json=[VERSICOLOR]).status_code == 200
        for _ in range(5):
            bad = client.post("/invocations", content=b"[1,", headers=JSON)
            assert bad.status_code == 400

    wait_positive(browser, "#chart-rps", "sagemaker 200")
    wait_positive(browser, "#chart-errors", "sagemaker 400")
    wait_positive(browser, "#chart-latency", "p50")
    assert page.get_attribute("#chart-rps", "data-points") != before
    assert latest(browser, "chart-latency")["p99"] >= latest(browser, "chart-latency")["p50"]
    assert page.locator("#chart-batch").is_hidden()  # no tiffin_batch_size in /metrics
    assert page.locator("#model-metrics-title").is_hidden()  # the iris model reports none
    assert "console 200" not in latest(browser, "chart-rps")  # its own polling is left out
    page.check("#own-traffic")
    wait_positive(browser, "#chart-rps", "operations 200")
    page.uncheck("#own-traffic")
    browser.screenshot("charts")
    assert browser.outside_requests() == []


def test_readme_screenshot(iris_server: Server, console: Any) -> None:
    """Mixed traffic, one prediction, then the README's picture: kept with the test
    artifacts, and written to docs/img/console.png with TIFFIN_UPDATE_SCREENSHOT=1 (which
    also sends half a minute of traffic, so the charts fill)."""
    update = os.environ.get("TIFFIN_UPDATE_SCREENSHOT") == "1"
    browser = console(iris_server.url)
    browser.open()
    wait_for_state(browser, "ready")
    with httpx.Client(base_url=iris_server.url, timeout=10) as client:
        for second in range(30 if update else 6):
            for _ in range(5 + (second % 10) * 3):
                client.post("/invocations", json=[VERSICOLOR])
                client.post("/v2/models/iris/infer", json={"instances": [VERSICOLOR]})
            if second % 7 == 3:
                client.post("/invocations", content=b"[1,", headers=JSON)
            time.sleep(0.8)
    predict(browser, "kserve-v1", json.dumps([VERSICOLOR]))
    wait_positive(browser, "#chart-rps", "sagemaker 200")
    wait_positive(browser, "#chart-errors", "sagemaker 400")
    time.sleep(2.5)
    picture = browser.screenshot("readme")
    assert picture.stat().st_size > 10_000
    if update:
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        browser.page.screenshot(path=str(SCREENSHOT), full_page=True)


BATCHING_METRICS = """\
# HELP tiffin_requests_total Requests answered.
# TYPE tiffin_requests_total counter
tiffin_requests_total{{protocol="sagemaker",status="200"}} {n}
# HELP tiffin_batch_size Requests per batch.
# TYPE tiffin_batch_size histogram
tiffin_batch_size_bucket{{le="1.0"}} {n}
tiffin_batch_size_bucket{{le="4.0"}} {four}
tiffin_batch_size_bucket{{le="+Inf"}} {four}
tiffin_batch_size_count {four}
tiffin_batch_size_sum {sum}
# HELP accuracy Share of right answers in the feedback.
# TYPE accuracy gauge
accuracy{{model="iris",version="1"}} 0.9{n}
# HELP feedback_total Feedback received.
# TYPE feedback_total counter
feedback_total{{model="iris",version="1"}} {n}
"""


def test_batch_sizes_and_the_models_own_metrics_are_drawn_when_present(
    iris_server: Server, console: Any
) -> None:
    """/metrics served by the page's own route handler: a batch-size histogram and two
    metrics the model reports (what later features add to /metrics)."""
    browser = console(iris_server.url)
    scrapes = {"n": 0}

    def metrics(route: Any) -> None:
        scrapes["n"] += 1
        n = scrapes["n"] * 10
        body = BATCHING_METRICS.format(n=n, four=n * 2, sum=n * 4)
        route.fulfill(status=200, body=body, content_type="text/plain; version=0.0.4")

    browser.page.route(f"{iris_server.url}/metrics", metrics)
    browser.open()
    page = browser.page
    wait_positive(browser, "#chart-batch", "mean")
    assert page.locator("#chart-batch").is_visible()
    assert latest(browser, "chart-batch")["mean"] == pytest.approx(2.0)
    page.wait_for_selector('#model-metrics figure[data-metric="accuracy"]')
    wait_positive(browser, '[data-metric="feedback"]', "model=iris version=1")
    assert page.locator("#model-metrics-title").is_visible()
    captions = page.locator("#model-metrics figcaption").all_text_contents()
    assert sorted(captions) == ["accuracy", "feedback per second"]
    browser.screenshot("batching-and-model-metrics")


# -- other models: loading, failed ----------------------------------------------------------------


def test_a_loading_model_shows_as_loading_then_ready(tmp_path: Path, console: Any) -> None:
    server = start_server(SINGLE / "slow_load.py", tmp_path, env={"SLOW_LOAD_SECONDS": "10"})
    try:
        wait_until_answering(server)
        browser = console(server.url)
        browser.open()
        wait_for_state(browser, "loading")
        assert browser.page.locator("#models .badge").text_content() == "loading"
        browser.screenshot("loading")
        wait_for_state(browser, "ready")
    finally:
        server.stop()


def wait_until_answering(server: Server, timeout: float = 30) -> None:
    """Wait for HTTP answers (``GET /``), not for the model."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.process.poll() is None, server.log
        try:
            if server.client.get("/").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"no answer after {timeout}s:\n{server.log}")


def test_a_model_that_fails_to_load_stops_tiffin_serve(tmp_path: Path) -> None:
    """What is true today: a failed load ends the worker and the server (exit 3), so no
    console is left to show it; an app that keeps running shows it (next test)."""
    done = subprocess.run(
        [*TIFFIN, "serve", str(SINGLE / "broken_load.py"), "--port", str(free_port()), "--no-grpc"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 3
    assert "FileNotFoundError: model/weights.bin is missing" in done.stderr + done.stdout


def test_a_failed_model_shows_as_failed_with_its_reason(console: Any) -> None:
    """An app told not to exit on a failed load (TiffinApp(on_load_failed=...)), as an
    embedding program may build it, served by uvicorn in this process."""
    with running_app(SINGLE / "broken_load.py") as url:
        browser = console(url)
        browser.open()
        wait_for_state(browser, "failed")
        reason = browser.page.text_content("#models .reason")
        assert reason.startswith(
            "model 'broken_load' failed to load: FileNotFoundError: model/weights.bin is missing"
        )
        browser.screenshot("failed")


@contextmanager
def running_app(model: Path) -> Iterator[str]:
    """A TiffinApp over a model file that keeps running when the load fails, served by
    uvicorn on a free port in a thread: its URL."""
    import uvicorn

    from tiffin.inference.dataplane import DataPlane
    from tiffin.model.loader import build_handle
    from tiffin.server.app import TiffinApp
    from tiffin.spec import load_spec

    handle = build_handle(load_spec(model), environ={})
    app = TiffinApp(DataPlane(handle), on_load_failed=lambda error: None)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


# -- turned off ---------------------------------------------------------------------------------


@pytest.fixture
def no_console(iris_package: Path, tmp_path: Path) -> Iterator[Server]:
    server = start_server(iris_package, tmp_path, "--no-console", "--no-grpc")
    server.wait_ready()
    yield server
    server.stop()


def test_no_console_flag(no_console: Server, console: Any) -> None:
    assert no_console.client.get("/console").status_code == 404
    browser = console(no_console.url)
    browser.open("/")
    assert json.loads(browser.page.text_content("body")) == {"status": "alive"}
