"""`flask seed-demo --reset`, password checks, and ORM inserts after the bulk seed."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts import services as accounts
from app.accounts.models import User
from app.catalog.models import Product, ProductImage, ProductVariant, VariantOption
from app.inventory import services as inventory
from app.inventory.models import StockLedgerEntry
from app.merchants.models import Merchant
from tests.support.factories import make_product

PASSWORD = "harbour-lantern-4821"


def seed(app, *options: str):
    return app.test_cli_runner().invoke(args=["seed-demo", "--password", PASSWORD, *options])


def product_names(database) -> list[str]:
    return list(database.scalars(sa.select(Product.name).order_by(Product.id)))


def largest_id(database, model) -> int:
    return database.scalar(sa.select(sa.func.max(model.id)))


def test_reset_rebuilds_the_same_store_and_orm_inserts_follow_the_bulk_ids(app, database):
    # given: a real customer, and a seeded store
    accounts.register_user(
        database, email="shopper@example.org", password="a long passphrase", name="Shopper"
    )
    assert seed(app, "--products", "12").exit_code == 0
    first_names = product_names(database)
    database.remove()

    # when
    result = seed(app, "--products", "12", "--reset")

    # then: the same store again, not a second copy, and the real customer kept
    assert result.exit_code == 0, result.output
    assert product_names(database) == first_names
    assert database.scalar(sa.select(sa.func.count()).select_from(Product)) == 12
    assert database.scalar(sa.select(sa.func.count()).select_from(Merchant)) == 6
    emails = set(database.scalars(sa.select(User.email)))
    assert "shopper@example.org" in emails
    assert len(emails) == 1 + 1 + 6 + 20

    # when: the app creates rows the ORM way after the bulk insert
    seeded_ids = {
        model: largest_id(database, model)
        for model in (Product, ProductVariant, VariantOption, ProductImage, StockLedgerEntry)
    }
    product = make_product(prices=(1000, 1200), stock=(3, 4), attributes={"Brand": "Acme"})
    database.add(ProductImage(product_id=product.id, storage_key="0" * 32, alt_text="Acme"))
    inventory.set_stock(
        database, variant_id=product.variants[0].id, product_id=product.id, on_hand=9
    )
    database.commit()

    # then: every table hands out fresh ids above the seeded ones
    for model, seeded_id in seeded_ids.items():
        assert largest_id(database, model) > seeded_id


def test_seeding_an_empty_store_with_if_empty_seeds_it(app, database):
    result = seed(app, "--products", "3", "--if-empty")

    assert result.exit_code == 0, result.output
    assert database.scalar(sa.select(sa.func.count()).select_from(Product)) == 3


def test_a_weak_password_is_refused_before_anything_is_written(app, database):
    result = app.test_cli_runner().invoke(
        args=["seed-demo", "--products", "3", "--password", "password123"]
    )

    assert result.exit_code == 2
    assert "too common" in result.output
    assert database.scalar(sa.select(sa.func.count()).select_from(Product)) == 0
    assert database.scalar(sa.select(sa.func.count()).select_from(User)) == 0
