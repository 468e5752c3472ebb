"""The pieces browser tests share: the live server, the watched browser pages, signing in."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from werkzeug.serving import BaseWSGIServer, make_server

from tests.support.province import PASSWORD
from workflows.lifecycle import Lifecycle

CHROMIUM = os.environ.get("LEXFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000
VIEWPORT = {"width": 1366, "height": 900}


# The server ----------------------------------------------------------------------------------
@dataclass
class LiveServer:
    url: str
    app: Flask
    lifecycle: Lifecycle

    @property
    def backend(self) -> str:
        return self.lifecycle.db.url.split(":", 1)[0].split("+", 1)[0]

    def text(self, message: str, locale: str = "vi", **variables: Any) -> str:
        """``message`` as the app renders it in ``locale`` (from the app's own catalogue)."""
        from flask_babel import force_locale, gettext

        with self.app.test_request_context("/"), force_locale(locale):
            return gettext(message, **variables)


@contextmanager
def serve(lifecycle: Lifecycle) -> Iterator[LiveServer]:
    """The real app on ``lifecycle``'s database, served on a free loopback port."""
    from web import create_app

    app = create_app(
        {
            "DATABASE_URL": lifecycle.db.url,
            "SECRET_KEY": "browser-test-secret",
            "TESTING": False,
            "SCHEDULER_ENABLED": False,
        }
    )
    own = app.extensions["lexflow"]
    app.extensions["lexflow"] = lifecycle  # share the seeded lifecycle (and its caches)
    own.db.dispose()
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app, lifecycle)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# The browser ---------------------------------------------------------------------------------
def chromium_path() -> str:
    """Debian's Chromium; fails the test (never skips) when it is not installed."""
    found = CHROMIUM if os.path.isfile(CHROMIUM) else shutil.which(CHROMIUM)
    if not found or not os.access(found, os.X_OK):
        pytest.fail(
            f"Chromium was not found at {CHROMIUM}: the browser tests need Debian's chromium "
            "(run ./.ci/install-system-deps, or apt-get install chromium; LEXFLOW_CHROMIUM "
            "names another binary). Browsers are never downloaded.",
            pytrace=False,
        )
    return found


@dataclass
class PageWatch:
    """What went wrong on a page (script errors, failed sub-resources) and the dialogs shown."""

    problems: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def watch(page: Page) -> PageWatch:
    seen = PageWatch()

    def on_console(message: Any) -> None:
        # A page answered 401/404/422 on purpose logs "Failed to load resource" too; failing
        # sub-resources are caught by on_response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            seen.problems.append(f"console error on {page.url}: {message.text}")

    def on_response(response: Any) -> None:
        if response.url.endswith("/favicon.ico"):
            return  # the browser asks on its own; the site declares no icon
        if response.status >= 400 and response.request.resource_type != "document":
            seen.problems.append(f"HTTP {response.status} for {response.url}")

    def on_dialog(dialog: Any) -> None:
        seen.dialogs.append(dialog.message)
        dialog.accept()  # the user confirms ("Submit the decision ...?")

    page.on("pageerror", lambda error: seen.problems.append(f"script error: {error}"))
    page.on("console", on_console)
    page.on("response", on_response)

    def on_request_failed(request: Any) -> None:
        # ERR_ABORTED: the user moved on before the page finished loading (not a fault).
        if "ERR_ABORTED" not in (request.failure or ""):
            seen.problems.append(f"failed: {request.url} {request.failure}")

    page.on("requestfailed", on_request_failed)
    page.on("dialog", on_dialog)
    return seen


class Browsing:
    """Opens browser contexts (one per person) on the live server and closes them after."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.browser, self.server = browser, server
        self.contexts: list[BrowserContext] = []
        self.watches: dict[Page, PageWatch] = {}

    def new_page(self) -> Page:
        expect.set_options(timeout=TIMEOUT_MS)
        context = self.browser.new_context(
            base_url=self.server.url,
            viewport=VIEWPORT,  # type: ignore[arg-type]
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        self.watches[page] = watch(page)
        return page

    def watch(self, page: Page) -> PageWatch:
        return self.watches[page]

    def close(self) -> list[str]:
        problems = [p for seen in self.watches.values() for p in seen.problems]
        for context in self.contexts:
            context.close()
        return problems


# Acting as a user ----------------------------------------------------------------------------
def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would, and land on the inbox."""
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/inbox(\?.*)?$"))
