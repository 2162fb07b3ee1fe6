"""Low stock: falling to the threshold emails the merchant once, not on every sale, and again
only after stock went back above it; a redelivered event sends nothing twice."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from itertools import count

import pytest
import sqlalchemy as sa

from app.database import utcnow
from app.inventory import merchant_stock, services
from app.inventory.models import StockItem, StockReason
from app.platform.models import OutboxEvent
from jobs import delivery
from tests.support.buying import events_named
from tests.support.factories import make_merchant, make_product

_references = count(1)


@pytest.fixture()
def shop(database):
    """A merchant with a contact address."""
    merchant = make_merchant()
    merchant.contact_email = "stock@shop.example"
    database.commit()
    return merchant


def sell(database, variant_id: int, quantity: int) -> None:
    """A paid order for `quantity` units: reserved, then sold."""
    reference = f"MP-{next(_references)}"
    services.reserve_stock(
        database,
        reference=reference,
        lines=[(variant_id, quantity)],
        expires_at=utcnow() + timedelta(minutes=15),
    )
    database.commit()
    services.commit_reservation(database, reference)
    database.commit()


def version_of(database, variant_id: int) -> int:
    return database.scalar(sa.select(StockItem.version).where(StockItem.variant_id == variant_id))


def set_on_hand(database, merchant, variant_id: int, on_hand: int, threshold: int = 5) -> None:
    merchant_stock.edit_stock(
        database,
        merchant.id,
        variant_id,
        on_hand=on_hand,
        low_stock_threshold=threshold,
        expected_version=version_of(database, variant_id),
        actor_id=None,
    )
    database.commit()


def messages(outbox) -> list[email.message.EmailMessage]:
    return [
        email.message_from_string(path.read_text(), policy=policy.default)
        for path in sorted(outbox.glob("*.eml"))
    ]


def test_falling_to_the_threshold_emails_once_not_on_every_sale(database, shop, outbox):
    product = make_product(merchant=shop, name="Wool socks", stock=10)
    variant_id = product.variants[0].id

    sell(database, variant_id, 4)
    assert messages(outbox) == []

    sell(database, variant_id, 1)
    (alert,) = messages(outbox)
    assert alert["To"] == "stock@shop.example"
    assert alert["Subject"] == f"Low stock: Wool socks (Default), SKU {product.variants[0].sku}"
    text = alert.get_body(("plain",)).get_content()
    assert "5 left to sell (your low-stock threshold is 5)" in text
    assert "/portal/inventory?state=low" in text

    sell(database, variant_id, 2)
    sell(database, variant_id, 3)
    assert len(messages(outbox)) == 1
    assert len(events_named("StockLow")) == 1


def test_back_above_the_threshold_then_falling_again_emails_again(database, shop, outbox):
    product = make_product(merchant=shop, stock=8)
    variant_id = product.variants[0].id
    sell(database, variant_id, 3)
    assert len(messages(outbox)) == 1

    set_on_hand(database, shop, variant_id, 20)
    assert database.get(StockItem, variant_id, populate_existing=True).low_stock_alerted is False
    sell(database, variant_id, 10)
    assert len(messages(outbox)) == 1
    sell(database, variant_id, 5)

    assert len(messages(outbox)) == 2
    assert len(events_named("StockLow")) == 2


def test_a_redelivered_alert_sends_nothing_twice(database, shop, outbox):
    product = make_product(merchant=shop, stock=6)
    sell(database, product.variants[0].id, 2)
    before = sorted(path.name for path in outbox.glob("*.eml"))
    assert len(before) == 1

    database.execute(sa.update(OutboxEvent).values(delivered_at=None))
    database.commit()
    for event in events_named("StockLow"):
        assert delivery.deliver(event.id)

    assert sorted(path.name for path in outbox.glob("*.eml")) == before


def test_a_reservation_an_edit_a_bulk_adjustment_and_an_import_each_alert(database, shop, outbox):
    reserved, edited, bulk, imported = (
        make_product(merchant=shop, stock=10).variants[0].id for _ in range(4)
    )

    services.reserve_stock(
        database,
        reference="MP-hold",
        lines=[(reserved, 6)],
        expires_at=utcnow() + timedelta(minutes=15),
    )
    database.commit()
    set_on_hand(database, shop, edited, 10, threshold=12)
    merchant_stock.bulk_adjust(database, shop.id, [bulk], note="broken", actor_id=None, delta=-7)
    database.commit()
    product_id = database.get(StockItem, imported).product_id
    services.set_stock(
        database,
        variant_id=imported,
        product_id=product_id,
        on_hand=1,
        reason=StockReason.IMPORT,
    )
    database.commit()

    alerted = {event.payload["variant_id"] for event in events_named("StockLow")}
    assert alerted == {reserved, edited, bulk, imported}
    assert len(messages(outbox)) == 4
    assert {event.payload["merchant_id"] for event in events_named("StockLow")} == {shop.id}


def test_a_released_reservation_clears_the_alert_so_the_next_fall_alerts(database, shop, outbox):
    variant_id = make_product(merchant=shop, stock=10).variants[0].id
    expires = utcnow() + timedelta(minutes=15)
    services.reserve_stock(database, reference="MP-a", lines=[(variant_id, 6)], expires_at=expires)
    database.commit()
    services.release_reservation(database, "MP-a")
    database.commit()
    services.reserve_stock(database, reference="MP-b", lines=[(variant_id, 5)], expires_at=expires)
    database.commit()

    assert len(events_named("StockLow")) == 2
    assert len(messages(outbox)) == 2


def test_stock_created_at_or_below_the_threshold_does_not_alert(database, shop, outbox):
    product = make_product(merchant=shop, stock=(2, 0), prices=(100, 200))

    sell(database, product.variants[0].id, 1)

    assert events_named("StockLow") == [] and messages(outbox) == []


def test_a_merchant_without_a_contact_address_gets_no_email(database, outbox):
    variant_id = make_product(merchant=make_merchant(), stock=6).variants[0].id

    sell(database, variant_id, 3)

    (event,) = events_named("StockLow")
    assert event.delivered_at is not None
    assert messages(outbox) == []


def test_the_product_name_is_escaped_in_the_email(database, shop, outbox):
    product = make_product(merchant=shop, name='<b>"Tea" & cakes</b>', stock=6)

    sell(database, product.variants[0].id, 1)

    (alert,) = messages(outbox)
    html = alert.get_body(("html",)).get_content()
    assert "<b>" not in html
    assert "&lt;b&gt;&#34;Tea&#34; &amp; cakes&lt;/b&gt;" in html
    assert '<b>"Tea" & cakes</b>' in alert.get_body(("plain",)).get_content()
