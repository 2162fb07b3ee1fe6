"""The portal's inventory: the table and its filters, inline and per-row edits refused on stale
figures, bulk adjustments with a reason, the ledger, and another merchant's rows as missing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.database import db, utcnow
from app.inventory import merchant_stock, services
from app.inventory.merchant_stock import StaleStock, StockFilter, StockNotFound, StockRefused
from app.inventory.models import StockItem, StockLedgerEntry, StockReason
from tests.support.buying import stock
from tests.support.factories import make_merchant, make_product
from tests.support.portal import Staff, make_staff
from tests.support.queries import count_queries

HTMX = {"HX-Request": "true"}


@pytest.fixture()
def staff(app, database) -> Staff:
    """An owner of a new merchant, signed in."""
    return make_staff(app, database)


def variant_of(product, index: int = 0) -> int:
    return product.variants[index].id


def version_of(variant_id: int) -> int:
    return db.session.scalar(sa.select(StockItem.version).where(StockItem.variant_id == variant_id))


def edit(client, variant_id: int, headers=None, **fields):
    data = {"on_hand": "7", "low_stock_threshold": "2", "note": "", **fields}
    data = {key: str(value) for key, value in data.items()}
    return client.post(f"/portal/inventory/{variant_id}", data=data, headers=headers or {})


def ledger_rows(variant_id: int) -> list[StockLedgerEntry]:
    return list(
        db.session.scalars(
            sa.select(StockLedgerEntry)
            .where(StockLedgerEntry.variant_id == variant_id)
            .order_by(StockLedgerEntry.id)
        )
    )


# --- the table ----------------------------------------------------------------------------------


def test_the_table_shows_each_variant_with_its_figures(staff, database):
    product = make_product(
        merchant=staff.merchant, name="Linen shirt", prices=(1000, 1200), stock=(9, 3)
    )
    services.reserve_stock(
        database,
        reference="MP-1",
        lines=[(variant_of(product), 2)],
        expires_at=utcnow() + timedelta(minutes=15),
    )
    database.commit()

    page = staff.client.get("/portal/inventory").get_data(as_text=True)

    first, second = product.variants
    assert "Linen shirt" in page and first.sku in page and second.sku in page
    row = page.split(f'id="stock-row-{first.id}"')[1].split("</tr>")[0]
    numbers = [cell.split("<")[0].strip() for cell in row.split('class="number">')[1:]]
    assert numbers == ["9", "2", "7", "5"]
    low_row = page.split(f'id="stock-row-{second.id}"')[1].split("</tr>")[0]
    assert "Low</span>" in low_row
    assert '<th scope="col">SKU</th>' in page


def test_filters_low_and_out_and_search(staff, database):
    plenty = make_product(merchant=staff.merchant, name="Plenty", stock=40)
    low = make_product(merchant=staff.merchant, name="Nearly gone", stock=2)
    out = make_product(merchant=staff.merchant, name="Sold out", stock=0)
    merchant_id = staff.merchant.id

    def skus(**filters) -> set[str]:
        return {
            row.sku for row in merchant_stock.stock_table(database, merchant_id, **filters).items
        }

    assert skus() == {p.variants[0].sku for p in (plenty, low, out)}
    assert skus(state=StockFilter.LOW) == {low.variants[0].sku, out.variants[0].sku}
    assert skus(state=StockFilter.OUT) == {out.variants[0].sku}
    assert skus(search="nearly") == {low.variants[0].sku}
    assert skus(search=plenty.variants[0].sku.lower()) == {plenty.variants[0].sku}
    assert skus(search="100%_") == set()
    archived = make_product(merchant=staff.merchant, name="Plenty old", stock=0)
    archived.status = "archived"
    database.commit()
    assert archived.variants[0].sku not in skus() | skus(state=StockFilter.OUT)
    assert skus(search="plenty") == {plenty.variants[0].sku}
    page = staff.client.get("/portal/inventory?state=out").get_data(as_text=True)
    assert "Sold out" in page and "Plenty" not in page and "Nearly gone" not in page
    out_id = out.variants[0].id
    assert f'href="/portal/inventory/{out_id}?state=out"' in page
    assert f'data-hx-get="/portal/inventory/{out_id}?edit=1&amp;state=out"' in page
    assert f'href="/portal/inventory/{out_id}/ledger"' in page
    page = staff.client.get("/portal/inventory?q=plenty&state=bogus").get_data(as_text=True)
    assert "Plenty" in page and "Sold out" not in page


def test_pages_of_the_table_and_a_constant_query_count(app, staff, database):
    make_product(merchant=staff.merchant, prices=tuple(range(100, 130)), stock=3)
    make_product(merchant=staff.merchant, prices=tuple(range(100, 130)), stock=3)
    merchant_id = staff.merchant.id

    first = merchant_stock.stock_table(database, merchant_id, per_page=25)
    last = merchant_stock.stock_table(database, merchant_id, page=3, per_page=25)
    beyond = merchant_stock.stock_table(database, merchant_id, page=99, per_page=25)

    assert (first.total, first.pages, len(first.items), len(last.items)) == (60, 3, 25, 10)
    assert beyond.page == 3
    assert {r.sku for r in first.items}.isdisjoint({r.sku for r in last.items})
    with count_queries(db.engine) as small:
        staff.client.get("/portal/inventory?q=SKU", headers=HTMX)
    with count_queries(db.engine) as full:
        response = staff.client.get("/portal/inventory?page=2", headers=HTMX)
    assert response.status_code == 200 and 'aria-current="page">2<' in response.get_data(
        as_text=True
    )
    assert full.count == small.count, full


def test_another_merchants_rows_are_never_listed_and_are_missing(staff, database):
    theirs = make_product(merchant=make_merchant(), name="Their thing", stock=5)
    variant_id = variant_of(theirs)

    assert "Their thing" not in staff.client.get("/portal/inventory").get_data(as_text=True)
    assert staff.client.get(f"/portal/inventory/{variant_id}").status_code == 404
    assert staff.client.get(f"/portal/inventory/{variant_id}/ledger").status_code == 404
    assert edit(staff.client, variant_id, version=version_of(variant_id)).status_code == 404
    response = staff.client.post(
        "/portal/inventory/bulk",
        data={"variant_id": str(variant_id), "mode": "set", "amount": "0", "note": "steal"},
    )
    assert response.status_code == 404
    assert stock(variant_id) == (5, 0)
    with pytest.raises(StockNotFound):
        merchant_stock.edit_stock(
            database,
            staff.merchant.id,
            variant_id,
            on_hand=0,
            low_stock_threshold=0,
            expected_version=version_of(variant_id),
            actor_id=None,
        )


def test_a_hostile_product_name_is_escaped(staff, database):
    make_product(merchant=staff.merchant, name='<script>alert("x")</script> & co', stock=1)

    page = staff.client.get("/portal/inventory").get_data(as_text=True)

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in page


# --- editing one row ----------------------------------------------------------------------------


def test_inline_edit_swaps_the_row_to_a_form_and_back(staff, database):
    product = make_product(merchant=staff.merchant, stock=10)
    variant_id = variant_of(product)

    form = staff.client.get(f"/portal/inventory/{variant_id}?edit=1", headers=HTMX)
    fragment = form.get_data(as_text=True)
    assert form.status_code == 200 and fragment.lstrip().startswith("{#") is False
    assert f'<tr id="stock-row-{variant_id}" class="editing">' in fragment
    assert f'name="version" value="{version_of(variant_id)}"' in fragment
    assert 'name="csrf_token"' in fragment and "<html" not in fragment

    saved = edit(
        staff.client,
        variant_id,
        HTMX,
        on_hand=14,
        low_stock_threshold=3,
        version=version_of(variant_id),
        note="counted the shelf",
    )

    body = saved.get_data(as_text=True)
    assert saved.status_code == 200
    assert f'<tr id="stock-row-{variant_id}">' in body and 'data-hx-swap-oob="true"' in body
    assert "Saved the stock of" in body
    assert stock(variant_id) == (14, 0)
    entry = ledger_rows(variant_id)[-1]
    assert (entry.reason, entry.on_hand_delta, entry.note, entry.actor_id) == (
        StockReason.ADJUSTMENT,
        4,
        "counted the shelf",
        staff.user.id,
    )


def test_without_javascript_a_row_has_its_own_page_and_saving_redirects(staff, database):
    product = make_product(merchant=staff.merchant, stock=10)
    variant_id = variant_of(product)

    page = staff.client.get(f"/portal/inventory/{variant_id}?state=low").get_data(as_text=True)
    assert "<html" in page and '<label for="on-hand">On hand</label>' in page
    assert '<input type="hidden" name="state" value="low">' in page

    saved = edit(staff.client, variant_id, on_hand=6, version=version_of(variant_id), state="low")

    assert saved.status_code == 303
    assert saved.headers["Location"].endswith("/portal/inventory?state=low")
    assert "Saved the stock of" in staff.client.get(saved.headers["Location"]).get_data(
        as_text=True
    )
    assert stock(variant_id) == (6, 0)


def test_a_second_edit_from_the_same_figures_is_refused_with_the_figures_now(staff, database):
    product = make_product(merchant=staff.merchant, stock=10)
    variant_id = variant_of(product)
    seen = version_of(variant_id)
    assert edit(staff.client, variant_id, on_hand=12, version=seen).status_code == 303

    stale = edit(staff.client, variant_id, HTMX, on_hand=3, low_stock_threshold=1, version=seen)

    body = stale.get_data(as_text=True)
    assert stale.status_code == 200, "htmx swaps only 2xx answers"
    assert "Someone else changed this row (now on hand 12, reserved 0," in " ".join(body.split())
    assert "was not saved" in body
    assert f'name="version" value="{seen + 1}"' in body
    assert 'name="on_hand" type="number"' in body and 'value="12"' in body
    assert stock(variant_id) == (12, 0)
    plain = edit(staff.client, variant_id, on_hand=3, version=seen)
    assert plain.status_code == 409 and "<html" in plain.get_data(as_text=True)
    assert stock(variant_id) == (12, 0)


def test_a_sale_between_loading_and_saving_makes_the_edit_stale(staff, database):
    product = make_product(merchant=staff.merchant, stock=10)
    variant_id = variant_of(product)
    form = staff.client.get(f"/portal/inventory/{variant_id}?edit=1", headers=HTMX)
    seen = int(form.get_data(as_text=True).split('name="version" value="')[1].split('"')[0])

    services.reserve_stock(
        database,
        reference="MP-9",
        lines=[(variant_id, 4)],
        expires_at=utcnow() + timedelta(minutes=15),
    )
    services.commit_reservation(database, "MP-9")
    database.commit()
    stale = edit(staff.client, variant_id, HTMX, on_hand=10, version=seen)

    assert stale.status_code == 200 and "<html" not in stale.get_data(as_text=True)
    assert "now on hand 6, reserved 0, available 6" in " ".join(
        stale.get_data(as_text=True).split()
    )
    assert stock(variant_id) == (6, 0)
    with pytest.raises(StaleStock) as error:
        merchant_stock.edit_stock(
            database,
            staff.merchant.id,
            variant_id,
            on_hand=10,
            low_stock_threshold=5,
            expected_version=seen,
            actor_id=None,
        )
    assert (error.value.current.on_hand, error.value.current.version) == (6, seen + 2)


def test_on_hand_below_the_reserved_units_and_bad_figures_are_refused(staff, database):
    product = make_product(merchant=staff.merchant, stock=10)
    variant_id = variant_of(product)
    services.reserve_stock(
        database,
        reference="MP-3",
        lines=[(variant_id, 4)],
        expires_at=utcnow() + timedelta(minutes=15),
    )
    database.commit()
    version = version_of(variant_id)

    below = edit(staff.client, variant_id, HTMX, on_hand=3, version=version)
    words = edit(staff.client, variant_id, on_hand="many", low_stock_threshold=-1, version=version)
    no_version = edit(staff.client, variant_id, on_hand=5, version="x")

    assert below.status_code == 200 and "<html" not in below.get_data(as_text=True)
    assert "4 units are reserved by unpaid orders" in below.get_data(as_text=True)
    assert 'aria-describedby="on-hand-' in below.get_data(as_text=True)
    assert words.status_code == 422
    page = words.get_data(as_text=True)
    assert "On hand must be a whole number." in page
    assert no_version.status_code == 400
    assert stock(variant_id) == (10, 4) and version_of(variant_id) == version
    with pytest.raises(StockRefused) as error:
        merchant_stock.edit_stock(
            database,
            staff.merchant.id,
            variant_id,
            on_hand=5,
            low_stock_threshold=-2,
            expected_version=version,
            actor_id=None,
        )
    assert set(error.value.errors) == {"low_stock_threshold"}


# --- bulk adjustments ---------------------------------------------------------------------------


def test_bulk_adjust_changes_every_selected_row_with_its_reason(staff, database):
    first = make_product(merchant=staff.merchant, stock=10)
    second = make_product(merchant=staff.merchant, stock=3)
    untouched = make_product(merchant=staff.merchant, stock=8)
    ids = [variant_of(first), variant_of(second)]

    response = staff.client.post(
        "/portal/inventory/bulk",
        data={
            "variant_id": [str(i) for i in ids],
            "mode": "change",
            "amount": "5",
            "note": "Delivery 42",
        },
    )

    assert response.status_code == 303
    assert [stock(i) for i in ids] == [(15, 0), (8, 0)]
    assert stock(variant_of(untouched)) == (8, 0)
    for variant_id in ids:
        entry = ledger_rows(variant_id)[-1]
        assert (entry.on_hand_delta, entry.note, entry.actor_id) == (
            5,
            "Delivery 42",
            staff.user.id,
        )
    set_to = staff.client.post(
        "/portal/inventory/bulk",
        data={
            "variant_id": [str(i) for i in ids],
            "mode": "set",
            "amount": "2",
            "note": "stocktake",
        },
    )
    assert set_to.status_code == 303 and [stock(i) for i in ids] == [(2, 0), (2, 0)]


def test_bulk_adjust_is_all_or_nothing_and_needs_a_reason(staff, database):
    plenty = make_product(merchant=staff.merchant, stock=10)
    few = make_product(merchant=staff.merchant, stock=2)
    ids = [str(variant_of(plenty)), str(variant_of(few))]

    no_reason = staff.client.post(
        "/portal/inventory/bulk",
        data={"variant_id": ids, "mode": "change", "amount": "-3", "note": " "},
    )
    below_zero = staff.client.post(
        "/portal/inventory/bulk",
        data={"variant_id": ids, "mode": "change", "amount": "-3", "note": "damaged"},
    )
    nothing_selected = staff.client.post(
        "/portal/inventory/bulk", data={"mode": "change", "amount": "1", "note": "x"}
    )

    assert no_reason.status_code == 422
    assert "Give a reason for the adjustment." in no_reason.get_data(as_text=True)
    assert below_zero.status_code == 422
    page = below_zero.get_data(as_text=True)
    assert "Nothing was changed" in page and few.variants[0].sku in page
    assert f'value="{ids[0]}" form="bulk-form" checked' in page
    assert nothing_selected.status_code == 422
    assert stock(int(ids[0])) == (10, 0) and stock(int(ids[1])) == (2, 0)
    assert [len(ledger_rows(int(i))) for i in ids] == [1, 1]


# --- the ledger ---------------------------------------------------------------------------------


def test_the_ledger_lists_who_why_how_much_and_when_in_pages(staff, database):
    product = make_product(merchant=staff.merchant, stock=10)
    variant_id = variant_of(product)
    for count in range(30):
        assert (
            edit(
                staff.client,
                variant_id,
                on_hand=11 + count,
                version=version_of(variant_id),
                note=f"recount {count}",
            ).status_code
            == 303
        )

    _, page = merchant_stock.ledger(database, staff.merchant.id, variant_id)
    second = staff.client.get(f"/portal/inventory/{variant_id}/ledger?page=2")

    assert (page.total, page.pages, len(page.items)) == (31, 2, 25)
    assert page.items[0].note == "recount 29" and page.items[0].actor_name == staff.user.name
    assert page.items[0].on_hand_delta == 1
    text = second.get_data(as_text=True)
    assert second.status_code == 200
    assert "recount 0" in text and "recount 29" not in text
    assert "Import" in text and "System" in text
    assert f"{staff.user.name}" in staff.client.get(
        f"/portal/inventory/{variant_id}/ledger"
    ).get_data(as_text=True)
    fragment = staff.client.get(f"/portal/inventory/{variant_id}/ledger?page=2", headers=HTMX)
    assert "<html" not in fragment.get_data(as_text=True)
