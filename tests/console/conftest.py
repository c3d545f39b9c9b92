"""Drive the console in a real headless Chromium (Debian's, through Playwright).

Skipped, saying why, without the `playwright` package (the test extra) or without
Chromium at /usr/bin/chromium (`apt-get install -y chromium`, scripts/provision-browser.sh;
TIFFIN_CHROMIUM names another binary). Playwright's own browser downloads are never used.

Screenshots go to $TIFFIN_TEST_ARTIFACTS/console, else tests/artifacts/console (ignored by
git). TIFFIN_UPDATE_SCREENSHOT=1 also rewrites docs/img/console.png, the README's picture.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from servers import ROOT

CHROMIUM = Path(os.environ.get("TIFFIN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 20_000


def artifacts_dir() -> Path:
    """Where screenshots go: $TIFFIN_TEST_ARTIFACTS/console, else tests/artifacts/console."""
    base = os.environ.get("TIFFIN_TEST_ARTIFACTS")
    directory = Path(base) / "console" if base else ROOT / "tests" / "artifacts" / "console"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module: Playwright's sync API keeps an event loop
    running in this thread while it is open, which other tests' asyncio.run() refuses."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
    )
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Console:
    """A browser page on one server's console, recording every request the page makes."""

    page: Any
    origin: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, path: str = "/console") -> None:
        self.page.goto(self.origin + path)

    def screenshot(self, name: str) -> Path:
        path = artifacts_dir() / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def outside_requests(self) -> list[str]:
        """Every URL the page asked for that is not on its own server."""
        return [url for url in self.requests if not url.startswith(self.origin + "/")]


@pytest.fixture
def console(browser: Any) -> Iterator[Any]:
    """Open a console page on a server: ``console(server.url)``; checks, at the end, that
    the page made no request outside the server and raised no script error."""
    opened: list[Console] = []

    def open_console(origin: str) -> Console:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        result = Console(page, origin)
        page.on("request", lambda request: result.requests.append(request.url))
        page.on("pageerror", lambda error: result.errors.append(str(error)))
        opened.append(result)
        return result

    yield open_console
    for each in opened:
        each.page.context.close()
    for each in opened:
        assert each.outside_requests() == []
        assert each.errors == []
