"""Browser tests: the app served on a real port, a seeded store, and Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from app import create_app
from e2e.store import Store, seed_store
from tests.support.fixtures import settings_for_tests
from tests.support.services import in_ci
from tests.support.waiting import HANG_GUARD_SECONDS

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium")
# Playwright waits for conditions (an element, a URL, a load event); its deadline only stops a
# broken test from hanging, so a busy machine never reaches it.
TIMEOUT_MS = HANG_GUARD_SECONDS * 1000
expect.set_options(timeout=TIMEOUT_MS)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class QuietHandler(WSGIRequestHandler):
    """Request handler that does not print one line per request."""

    def log_request(self, *args, **kwargs) -> None:
        """Stay silent; failures show up in the tests' own assertions."""


@pytest.fixture(scope="session")
def live_app(app, backing_services, tmp_path_factory) -> Flask:
    """The app as a browser meets it: same migrated database as `app`, but CSRF switched on."""
    instance = Path(tmp_path_factory.mktemp("e2e-instance"))
    return create_app(settings_for_tests(backing_services, instance, WTF_CSRF_ENABLED=True))


@pytest.fixture(scope="session")
def store(live_app) -> Store:
    """The seeded store, built once per session (after emptying what earlier tests left)."""
    return seed_store(live_app)


@pytest.fixture(scope="session")
def live_server(live_app, store) -> Iterator[str]:
    """The seeded app served by werkzeug on 127.0.0.1 and a free port, in a daemon thread; its
    SITE_URL (every absolute link) is that address.

    Yields the base URL.
    """
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, live_app, threaded=True, request_handler=QuietHandler
    )
    url = f"http://127.0.0.1:{server.server_port}"
    live_app.config["SITE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    yield url
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args) -> dict:
    """Launch Debian's Chromium (Playwright's own browsers cannot be downloaded here)."""
    if not CHROMIUM.exists():
        reason = f"No Chromium at {CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH"
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": browser_type_launch_args.get("headless", True),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Relative URLs in `page.goto` and `expect(...).to_have_url` resolve on the live server."""
    return live_server


@pytest.fixture()
def context(new_context) -> BrowserContext:
    """A fresh browser context per test, failing fast when an element never shows up."""
    context = new_context()
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture()
def page_without_js(new_context) -> Page:
    """A page in a fresh context with JavaScript switched off."""
    context = new_context(java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


@pytest.fixture(scope="module")
def open_context(browser: Browser, browser_context_args: dict) -> Iterator[Callable[..., Page]]:
    """Open pages in contexts shared by a module's tests (closed at the end of the module)."""
    contexts: list[BrowserContext] = []

    def open_page(**options) -> Page:
        context = browser.new_context(**browser_context_args, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
