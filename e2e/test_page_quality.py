"""Every storefront page: zero axe-core violations, and no console errors or CSP violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from e2e.checks import ConsoleErrors, axe_violations, describe_violations, wait_until_settled
from e2e.store import Store
from e2e.visits import VISITS

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def audit_page(open_context) -> Page:
    """One page for all audits; CSP is bypassed so the axe-core script can be injected."""
    return open_context(bypass_csp=True)


@pytest.fixture(scope="module")
def watched_page(open_context) -> tuple[Page, ConsoleErrors]:
    """One page, under the app's real CSP, whose console errors are collected."""
    page = open_context()
    return page, ConsoleErrors(page)


@pytest.mark.parametrize("name", VISITS)
def test_page_has_no_accessibility_violations(audit_page: Page, store: Store, name: str):
    VISITS[name](audit_page, store)

    violations = axe_violations(audit_page)

    assert violations == [], (
        f"axe-core found {len(violations)} violation(s) on {name} ({audit_page.url}):\n"
        + describe_violations(violations)
    )


@pytest.mark.parametrize("name", VISITS)
def test_page_has_no_console_errors(
    watched_page: tuple[Page, ConsoleErrors], store: Store, name: str
):
    page, console = watched_page
    console.take()

    VISITS[name](page, store)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    wait_until_settled(page)

    errors = console.take()
    if name == "404":
        errors = [error for error in errors if not is_the_404_itself(error, page.url)]
    assert errors == [], f"console errors on {name} ({page.url}):\n" + "\n".join(errors)


def is_the_404_itself(error: str, url: str) -> bool:
    """Chromium reports the 404 status of the page itself as a console error; that one is meant."""
    return "status of 404" in error and url in error
