"""A live Lexflow server on the test database and a real headless Chromium to drive it.

Each test gets its own server (on the ``lifecycle`` fixture's database) and fresh browser
contexts. Browser tests run on SQLite: the pages are the same code on both databases, and
every route is tested on both through HTTP; a test that names ``postgresql`` in its own
parametrization (one whole lifecycle walk) runs there too; the browser itself is started once per
session. Chromium is Debian's (``/usr/bin/chromium``, installed by ``.ci/install-system-deps``);
it is never downloaded. When it is missing the browser tests fail, they are never skipped.

Every page opened through these fixtures is watched: an uncaught script error, a console
error (a Content-Security-Policy refusal, say) or a sub-resource that fails to load (a
missing stylesheet, bpmn-js not installed) fails the test at teardown.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.live import CHROMIUM_ARGS, Browsing, LiveServer, chromium_path, serve
from tests.conftest import fresh_database_url
from tests.support.databases import DatabaseFactory
from workflows.lifecycle import Lifecycle

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(params=["sqlite"])
def database_url(
    request: pytest.FixtureRequest, database_factory: DatabaseFactory
) -> Iterator[str]:
    """SQLite unless the test asks for PostgreSQL (indirect parametrization)."""
    yield from fresh_database_url(request, database_factory, request.param)


@pytest.fixture
def live_server(lifecycle: Lifecycle) -> Iterator[LiveServer]:
    with serve(lifecycle) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Exception as exc:
            pytest.fail(f"Chromium at {executable} did not start: {exc}", pytrace=False)
        yield launched
        launched.close()


@pytest.fixture
def browsing(browser: Browser, live_server: LiveServer) -> Iterator[Browsing]:
    opened = Browsing(browser, live_server)
    yield opened
    problems = opened.close()
    if problems:
        pytest.fail("the browser reported problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(browsing: Browsing) -> Page:
    """A fresh browser context (1366x900, vi-VN, 10 s timeouts) on the live server."""
    return browsing.new_page()


@pytest.fixture
def new_page(browsing: Browsing) -> Callable[[], Page]:
    """Another person's browser: ``new_page()`` opens a fresh context with its own cookies."""
    return browsing.new_page


@pytest.fixture
def screenshot(live_server: LiveServer) -> Callable[..., Path | None]:
    """``screenshot(page, "inbox.png")``: saved in docs/screenshots when LEXFLOW_SCREENSHOTS=1.

    Off by default so test runs do not touch the checkout; taken on SQLite only.
    """

    def take(page: Page, name: str, **options: Any) -> Path | None:
        if os.environ.get("LEXFLOW_SCREENSHOTS") != "1" or live_server.backend != "sqlite":
            return None
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / name
        page.screenshot(path=str(target), animations="disabled", caret="hide", **options)
        return target

    return take
