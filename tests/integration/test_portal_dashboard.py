"""The merchant dashboard: each merchant sees only its own sales, awaiting orders, top products
and low stock; days are zero-filled UTC days; the chart's table is on the page without JS."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from app.catalog.models import ProductStatus
from app.database import db, utcnow
from app.inventory import reports as inventory_reports
from app.money import Money
from app.orders import reports
from app.orders import services as orders
from app.orders.models import Fulfilment, FulfilmentStatus, Order
from tests.support.buying import new_order
from tests.support.factories import make_merchant, make_product
from tests.support.portal import make_staff
from tests.support.queries import count_queries

HOSTILE = '<script>alert("x")</script> Tom & Jerry\'s'


def sell(database, token, items, paid_at=None) -> Order:
    """A paid order for `(product, quantity)` items, paid at `paid_at` (now by default)."""
    order, _ = orders.place_order(database, new_order(token, items))
    database.commit()
    assert orders.record_payment(database, order.id, order.total_amount) == "paid"
    database.commit()
    if paid_at is not None:
        order.paid_at = paid_at
        database.commit()
    return order


def ship(database, order: Order, merchant_id: int) -> None:
    database.execute(
        sa.update(Fulfilment)
        .where(Fulfilment.order_id == order.id, Fulfilment.merchant_id == merchant_id)
        .values(status=FulfilmentStatus.SHIPPED)
    )
    database.commit()


class Tables(HTMLParser):
    """Every table of a page: its rows, each a list of its cells' text."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def chart_json(html: str) -> dict:
    found = re.search(r"data-sales-chart='([^']*)'", html)
    return json.loads(unescape(found.group(1)))


@pytest.fixture()
def two_shops(app, database):
    """Two merchants, each with staff, a best seller, a low-stock variant and paid orders; one
    order buys from both."""
    staff_a = make_staff(app, database)
    staff_b = make_staff(app, database)
    a_best = make_product(merchant=staff_a.merchant, name="Alpha Lamp", prices=(1500,), stock=50)
    a_low = make_product(merchant=staff_a.merchant, name="Alpha Low Vase", prices=(900,), stock=3)
    b_best = make_product(merchant=staff_b.merchant, name="Bravo Mug", prices=(700,), stock=50)
    b_low = make_product(merchant=staff_b.merchant, name="Bravo Low Bowl", prices=(400,), stock=2)
    shared = sell(database, "both", [(a_best, 2), (b_best, 1)])
    only_b = sell(database, "only-b", [(b_best, 4)])
    return {
        "a": staff_a,
        "b": staff_b,
        "products": (a_best, a_low, b_best, b_low),
        "orders": (shared, only_b),
    }


def test_each_merchant_sees_only_its_own_figures(two_shops):
    staff_a, staff_b = two_shops["a"], two_shops["b"]
    shared, only_b = two_shops["orders"]

    page_a = staff_a.client.get("/portal/").get_data(as_text=True)
    page_b = staff_b.client.get("/portal/").get_data(as_text=True)

    assert "Alpha Lamp" in page_a and "Alpha Low Vase" in page_a
    assert "Bravo" not in page_a
    assert shared.number in page_a and only_b.number not in page_a
    assert "Orders awaiting fulfilment (1)" in page_a
    assert "Low stock (1)" in page_a
    assert Tables(page_a).tables[0][-1] == ["Total", "1", "2", "$30.00"]

    assert "Bravo Mug" in page_b and "Bravo Low Bowl" in page_b
    assert "Alpha" not in page_b
    assert shared.number in page_b and only_b.number in page_b
    assert "Orders awaiting fulfilment (2)" in page_b
    assert "Low stock (1)" in page_b
    assert Tables(page_b).tables[0][-1] == ["Total", "2", "5", "$35.00"]


def test_sales_are_counted_per_utc_day_with_every_day_present(database, is_postgres):
    merchant = make_merchant()
    product = make_product(merchant=merchant, prices=(1000,), stock=100)
    other = make_product(prices=(5000,), stock=100)
    today = datetime(2026, 12, 5, 12, tzinfo=UTC)
    sell(database, "late", [(product, 1)], datetime(2026, 12, 2, 23, 59, 59, tzinfo=UTC))
    sell(database, "early", [(product, 2)], datetime(2026, 12, 3, 0, 0, 0, tzinfo=UTC))
    sell(database, "mixed", [(product, 3), (other, 1)], datetime(2026, 12, 3, 9, tzinfo=UTC))
    sell(database, "before", [(product, 5)], datetime(2026, 11, 28, 23, 59, tzinfo=UTC))
    cancelled = sell(database, "cancelled", [(product, 7)], datetime(2026, 12, 4, tzinfo=UTC))
    orders.cancel_order(database, cancelled.id)
    database.commit()
    orders.place_order(database, new_order("unpaid", [(product, 9)]))
    database.commit()

    if is_postgres:  # days are UTC days whatever the connection's time zone
        database.execute(sa.text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
    start, end = reports.report_range(7, today.date())
    sales = reports.sales_by_day(database, merchant.id, start, end)

    assert [day.day.isoformat() for day in sales.days] == [
        "2026-11-29",
        "2026-11-30",
        "2026-12-01",
        "2026-12-02",
        "2026-12-03",
        "2026-12-04",
        "2026-12-05",
    ]
    assert [day.amounts[0].amount for day in sales.days] == [0, 0, 0, 1000, 5000, 0, 0]
    assert [day.orders for day in sales.days] == [0, 0, 0, 1, 2, 0, 0]
    assert [day.units for day in sales.days] == [0, 0, 0, 1, 5, 0, 0]
    assert sales.totals == (Money(6000, "USD"),)


def test_top_products_rank_by_units_then_revenue(database):
    merchant = make_merchant()
    cheap = make_product(merchant=merchant, name="Cheap", prices=(100,), stock=100)
    dear = make_product(merchant=merchant, name="Dear", prices=(9000,), stock=100)
    many = make_product(merchant=merchant, name="Many", prices=(500,), stock=100)
    sell(database, "t1", [(cheap, 3), (dear, 3)])
    sell(database, "t2", [(many, 4)])
    sell(database, "t3", [(many, 2), (cheap, 1)])
    sell(database, "t4", [(dear, 50)], utcnow() - timedelta(days=40))
    today = utcnow().date()

    top = reports.top_products(database, merchant.id, today - timedelta(days=29), today, limit=2)

    assert [(p.name, p.units, p.revenue) for p in top] == [
        ("Many", 6, Money(3000, "USD")),
        ("Cheap", 4, Money(400, "USD")),
    ]


def test_a_renamed_product_stays_one_row(database):
    merchant = make_merchant()
    product = make_product(merchant=merchant, name="Old name", prices=(100,), stock=100)
    sell(database, "before-rename", [(product, 1)])
    product.name = "New name"
    database.commit()
    sell(database, "after-rename", [(product, 2)])
    today = utcnow().date()

    top = reports.top_products(database, merchant.id, today, today)

    assert [(p.product_id, p.units) for p in top] == [(product.id, 3)]
    assert top[0].name in {"Old name", "New name"}


def test_awaiting_fulfilment_counts_and_lists_the_oldest_first(database):
    merchant = make_merchant()
    product = make_product(merchant=merchant, prices=(1000,), stock=100)
    now = utcnow()
    newest = sell(database, "n", [(product, 1)], now - timedelta(hours=2))
    oldest = sell(database, "o", [(product, 3)], now - timedelta(days=3))
    middle = sell(database, "m", [(product, 2)], now - timedelta(days=1))
    shipped = sell(database, "s", [(product, 1)], now - timedelta(days=9))
    ship(database, shipped, merchant.id)
    sell(database, "someone-else", [(make_product(stock=5), 1)], now - timedelta(days=20))

    awaiting = reports.awaiting_fulfilment(database, merchant.id, limit=2)

    assert awaiting.count == 3
    assert [order.number for order in awaiting.oldest] == [oldest.number, middle.number]
    first = awaiting.oldest[0]
    assert (first.units, first.subtotal, first.shipping_label) == (
        3,
        Money(3000, "USD"),
        "Marketplace Post Standard",
    )
    assert first.age(now) == "3 days"
    assert newest.number not in [order.number for order in awaiting.oldest]


def test_low_stock_lists_this_merchants_variants_at_or_below_threshold(database):
    merchant = make_merchant()
    make_product(merchant=merchant, name="Plenty", stock=50)
    at_threshold = make_product(merchant=merchant, name="At threshold", stock=5)
    sizes = make_product(merchant=merchant, name="Sizes", prices=(100, 100), stock=(0, 9))
    archived = make_product(merchant=merchant, name="Archived", stock=0)
    archived.status = ProductStatus.ARCHIVED
    make_product(name="Someone else's", stock=0)
    database.commit()
    sell(database, "reserve", [(at_threshold, 1)])

    low = inventory_reports.low_stock(database, merchant.id, limit=10)

    assert low.count == 2
    assert [(v.product_name, v.sku, v.available, v.threshold) for v in low.variants] == [
        ("Sizes", sizes.variants[0].sku, 0, 5),
        ("At threshold", at_threshold.variants[0].sku, 4, 5),
    ]
    assert low.variants[0].out_of_stock and not low.variants[1].out_of_stock
    assert inventory_reports.low_stock(database, merchant.id, limit=1).count == 2


def test_hostile_product_names_are_escaped(app, database):
    staff = make_staff(app, database)
    product = make_product(merchant=staff.merchant, name=HOSTILE, prices=(100,), stock=3)
    sell(database, "hostile", [(product, 1)])

    page = staff.client.get("/portal/").get_data(as_text=True)

    assert "<script>alert" not in page
    assert page.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Tom &amp; Jerry&#39;s") == 2


def test_the_charts_table_and_data_match_the_report(app, two_shops):
    staff = two_shops["b"]
    database = db.session
    earlier = sell(
        database, "earlier", [(two_shops["products"][2], 3)], utcnow() - timedelta(days=5)
    )
    assert earlier.paid_at.date() < utcnow().date()

    response = staff.client.get("/portal/?days=7")
    html = response.get_data(as_text=True)
    report = reports.merchant_dashboard(database, staff.merchant.id, days=7)

    rows = Tables(html).tables[0]
    assert rows[0] == ["Day", "Orders", "Units", "Sales"]
    body, total = rows[1:-1], rows[-1]
    assert body == [
        [day.day.strftime("%a %d %b %Y"), str(day.orders), str(day.units), day.amounts[0].format()]
        for day in reversed(report.sales.days)
    ]
    assert total == ["Total", "3", "8", "$56.00"]
    assert chart_json(html) == report.sales.chart_data()
    assert f'aria-label="{report.sales.summary()}"' in html
    assert 'role="img"' in html


def test_the_page_works_without_javascript_and_htmx_gets_the_body(two_shops):
    client = two_shops["a"].client

    page = client.get("/portal/?days=90")
    fragment = client.get("/portal/?days=7", headers={"HX-Request": "true"})

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<form class="toolbar dashboard-range" method="get" action="/portal/"' in html
    assert '<option value="90" selected>' in html
    assert len(Tables(html).tables[0]) == 1 + 90 + 1
    part = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in part and "<h1>" not in part
    assert "Sales, last 7 days" in part
    assert len(Tables(part).tables[0]) == 1 + 7 + 1
    assert "HX-Request" in fragment.headers["Vary"]


@pytest.mark.parametrize("days", ["8", "", "abc", "30.0", "-7"])
def test_an_unknown_period_is_refused(two_shops, days):
    response = two_shops["a"].client.get(f"/portal/?days={days}")

    assert response.status_code == 400
    assert "Choose a period of 7, 30 or 90 days." in response.get_data(as_text=True)


def test_the_low_stock_link_goes_to_the_inventory_when_it_exists(app, two_shops):
    html = two_shops["a"].client.get("/portal/").get_data(as_text=True)

    has_inventory = "portal.inventory" in app.view_functions
    assert ("See all low stock in the inventory" in html) == has_inventory
    if has_inventory:
        with app.test_request_context():
            from flask import url_for

            assert f'href="{url_for("portal.inventory", state="low")}"' in html


def test_the_query_count_does_not_grow_with_the_data(app, two_shops):
    staff = two_shops["a"]
    database = db.session
    staff.client.get("/portal/")
    with count_queries(db.engine) as few:
        staff.client.get("/portal/")

    for number in range(8):
        product = make_product(merchant=staff.merchant, prices=(100 + number,), stock=4)
        sell(database, f"more-{number}", [(product, 1)], utcnow() - timedelta(days=number))
    with count_queries(db.engine) as many:
        response = staff.client.get("/portal/")

    assert "Low stock (9)" in response.get_data(as_text=True)
    assert many.count == few.count, many
    assert many.count <= 12, many


def test_orders_refunded_in_full_no_longer_count(database):
    merchant = make_merchant()
    product = make_product(merchant=merchant, prices=(1000,), stock=100)
    sell(database, "kept", [(product, 1)])
    refunded = sell(database, "refunded", [(product, 2)])
    ship(database, refunded, merchant.id)
    orders.record_refund(database, refunded.id, refunded.total_amount)
    database.commit()
    assert database.get(Order, refunded.id).status == "refunded"
    today = utcnow().date()

    sales = reports.sales_by_day(database, merchant.id, today, today)
    top = reports.top_products(database, merchant.id, today, today)

    assert sales.totals == (Money(1000, "USD"),)
    assert [p.units for p in top] == [1]
