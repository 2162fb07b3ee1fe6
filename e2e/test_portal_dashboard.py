"""The merchant dashboard in Chromium: the sales chart is drawn under the real CSP, the period
swaps the dashboard in place, axe finds nothing, and without JavaScript the table tells it all."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.accounts.models import Role
from app.database import db, utcnow
from app.merchants.models import MerchantMembership
from app.orders import services as orders
from e2e.checks import ConsoleErrors, axe_violations, describe_violations, wait_until_settled
from e2e.portal import sign_in
from e2e.store import Store
from tests.support.buying import new_order
from tests.support.factories import make_merchant, make_product
from tests.support.portal import make_user

pytestmark = pytest.mark.e2e

CHART_HAS_DAYS = """days => {
  const canvas = document.querySelector("canvas[data-sales-chart]");
  const chart = canvas && window.Chart && window.Chart.getChart(canvas);
  return Boolean(chart) && chart.data.labels.length === days;
}"""


@pytest.fixture(scope="module")
def staff_email(live_app: Flask, store: Store) -> str:
    """The owner of a shop with paid orders on two days and a low-stock lamp."""
    with live_app.app_context():
        merchant = make_merchant("Dashboard Lamps & Co")
        lamp = make_product(merchant=merchant, name="Dashboard Lamp", prices=(4200,), stock=4)
        shade = make_product(merchant=merchant, name="Dashboard Shade", prices=(1300,), stock=40)
        for token, items, days_ago in (
            ("dash-1", [(lamp, 1), (shade, 2)], 0),
            ("dash-2", [(shade, 3)], 3),
        ):
            order, _ = orders.place_order(db.session, new_order(token, items))
            db.session.commit()
            orders.record_payment(db.session, order.id, order.total_amount)
            order.paid_at = utcnow() - timedelta(days=days_ago)
            db.session.commit()
        user = make_user(db.session, Role.MERCHANT, email="dashboard-owner@example.com")
        db.session.add(MerchantMembership(user_id=user.id, merchant_id=merchant.id, is_owner=True))
        db.session.commit()
        return user.email


def test_the_chart_is_drawn_and_the_period_swaps_in_place(page: Page, staff_email: str):
    errors = ConsoleErrors(page)
    sign_in(page, staff_email)

    page.goto("/portal/")
    page.wait_for_function(CHART_HAS_DAYS, arg=30)
    expect(
        page.get_by_role("img", name=re.compile(r"Sales per day .* \$107\.00 from 2 orders"))
    ).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("Sales per day"))).to_be_visible()

    page.evaluate("window.__dashboardMarker = 'no reload'")
    page.get_by_label("Period").select_option("7")
    page.get_by_role("button", name="Show").click()

    expect(page).to_have_url(re.compile(r"/portal/\?days=7$"))
    expect(page.get_by_role("heading", name="Sales, last 7 days")).to_be_focused()
    page.wait_for_function(CHART_HAS_DAYS, arg=7)
    assert page.evaluate("window.__dashboardMarker") == "no reload"
    wait_until_settled(page)
    assert errors.take() == []


def test_the_dashboard_has_no_accessibility_violations(open_context, staff_email: str):
    page = open_context(bypass_csp=True)
    sign_in(page, staff_email)
    page.goto("/portal/")
    page.wait_for_function(CHART_HAS_DAYS, arg=30)

    violations = axe_violations(page)

    assert violations == [], describe_violations(violations)


def test_without_javascript_the_table_shows_the_figures(page_without_js: Page, staff_email: str):
    sign_in(page_without_js, staff_email)

    page_without_js.goto("/portal/")
    page_without_js.get_by_label("Period").select_option("7")
    page_without_js.get_by_role("button", name="Show").click()

    expect(page_without_js).to_have_url(re.compile(r"/portal/\?days=7$"))
    table = page_without_js.get_by_role("table", name=re.compile("Sales per day"))
    expect(table.get_by_role("row")).to_have_count(1 + 7 + 1)
    expect(table.get_by_role("row", name=re.compile("^Total"))).to_contain_text("$107.00")
    expect(page_without_js.locator("canvas[data-sales-chart]")).to_be_hidden()
    expect(page_without_js.get_by_role("row", name=re.compile("Dashboard Lamp"))).to_have_count(2)
