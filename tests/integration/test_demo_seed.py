"""`flask seed-demo` on a real database: one small store, seeded once, inspected from every side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.accounts.models import Role, User
from app.accounts.passwords import verify_password
from app.catalog import rules
from app.catalog.models import (
    Category,
    Product,
    ProductAttribute,
    ProductImage,
    ProductStatus,
    ProductVariant,
    VariantOption,
)
from app.database import db
from app.demo.generator import LOW_STOCK_THRESHOLD
from app.inventory.models import StockItem, StockLedgerEntry, StockReason
from app.media import rules as media_rules
from app.merchants.models import Merchant, MerchantMembership, MerchantStatus
from app.search.models import SearchTerm
from tests.support.fixtures import truncate_all

PASSWORD = "harbour-lantern-4821"
PRODUCTS = 40


@pytest.fixture(scope="module")
def seeded(app):
    """The CLI result of seeding a 40-product store into an empty database (once per module)."""
    truncate_all(app)
    result = app.test_cli_runner().invoke(
        args=["seed-demo", "--products", str(PRODUCTS), "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture()
def session(app, seeded):
    """A session on the seeded store."""
    with app.app_context():
        yield db.session
        db.session.remove()


def count(session, model, *conditions) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


def test_store_has_merchants_categories_and_products(session):
    assert count(session, Product) == PRODUCTS
    assert count(session, Merchant, Merchant.status == MerchantStatus.ACTIVE) == 5
    assert count(session, Merchant, Merchant.status == MerchantStatus.PENDING) == 1
    assert count(session, Category, Category.parent_id.is_(None)) == 6
    assert count(session, Category, Category.parent_id.is_not(None)) == 24
    assert count(session, SearchTerm) > 0


def test_accounts_admin_one_owner_per_merchant_and_customers(session):
    assert count(session, User, User.role == Role.ADMIN) == 1
    assert count(session, User, User.role == Role.MERCHANT) == 6
    assert count(session, User, User.role == Role.CUSTOMER) == 20
    memberships = session.scalars(sa.select(MerchantMembership)).all()
    assert len({membership.merchant_id for membership in memberships}) == 6
    assert all(membership.is_owner for membership in memberships)


def test_credentials_are_printed(seeded):
    output = seeded.output

    assert PASSWORD in output
    for email in ("admin@example.com", "staff1@example.com", "staff6@example.com"):
        assert email in output
    assert "customer1@example.com ... customer20@example.com" in output
    assert f"{PRODUCTS} products" in output


def test_every_demo_account_signs_in_with_the_printed_password(session):
    hashes = set(session.scalars(sa.select(User.password_hash)))

    assert len(hashes) == 1
    assert verify_password(hashes.pop(), PASSWORD)


def test_products_are_published_by_active_merchants_in_child_categories(session):
    rows = session.execute(
        sa.select(Product.status, Merchant.status, Category.parent_id)
        .join(Merchant, Merchant.id == Product.merchant_id)
        .join(Category, Category.id == Product.category_id)
    ).all()

    assert {tuple(row[:2]) for row in rows} == {(ProductStatus.PUBLISHED, MerchantStatus.ACTIVE)}
    assert all(parent_id is not None for _, _, parent_id in rows)


def test_slugs_and_skus_are_unique(session):
    slugs = list(session.scalars(sa.select(Product.slug)))
    skus = list(session.scalars(sa.select(ProductVariant.sku)))

    assert len(set(slugs)) == len(slugs) == PRODUCTS
    assert len(set(skus)) == len(skus)
    for product in session.scalars(sa.select(Product)):
        assert product.slug == f"{rules.slugify(product.name)}-{product.id}"


def test_price_and_search_text_follow_the_catalog_rules(session):
    for product in session.scalars(sa.select(Product)):
        variants = session.scalars(
            sa.select(ProductVariant)
            .where(ProductVariant.product_id == product.id)
            .order_by(ProductVariant.position)
        ).all()
        attributes = session.execute(
            sa.select(ProductAttribute.name, ProductAttribute.value)
            .where(ProductAttribute.product_id == product.id)
            .order_by(ProductAttribute.position)
        ).all()
        options = session.execute(
            sa.select(VariantOption.name, VariantOption.value)
            .join(ProductVariant, ProductVariant.id == VariantOption.variant_id)
            .where(ProductVariant.product_id == product.id)
            .order_by(ProductVariant.position, VariantOption.position)
        ).all()
        assert 1 <= len(variants) <= 6
        assert attributes
        assert product.price_amount == rules.lowest_price(v.price_amount for v in variants)
        leaf = session.get(Category, product.category_id)
        department = session.get(Category, leaf.parent_id)
        assert product.search_text == rules.search_text(
            [tuple(row) for row in attributes],
            [tuple(row) for row in options],
            [department.name, leaf.name],
        )


def test_some_products_are_featured(session):
    featured = count(session, Product, Product.is_featured.is_(True))

    assert 0 < featured < PRODUCTS / 3


def test_stock_is_mostly_plenty_some_low_some_out(session):
    units = list(session.scalars(sa.select(StockItem.on_hand)))

    assert len(units) == count(session, ProductVariant)
    assert 0 in units
    assert any(0 < on_hand <= LOW_STOCK_THRESHOLD for on_hand in units)
    assert any(on_hand > LOW_STOCK_THRESHOLD for on_hand in units)


def test_every_stock_row_has_its_import_ledger_row(session):
    rows = session.execute(
        sa.select(StockItem.on_hand, StockLedgerEntry.on_hand_delta, StockLedgerEntry.reason).join(
            StockLedgerEntry, StockLedgerEntry.variant_id == StockItem.variant_id
        )
    ).all()

    assert count(session, StockLedgerEntry) == count(session, StockItem) == len(rows)
    assert all(on_hand == delta for on_hand, delta, _ in rows)
    assert {reason for _, _, reason in rows} == {StockReason.IMPORT}


def test_products_have_one_to_three_stored_pictures(app, session):
    media_root = Path(app.config["MEDIA_ROOT"])
    for product in session.scalars(sa.select(Product)):
        images = session.scalars(
            sa.select(ProductImage)
            .where(ProductImage.product_id == product.id)
            .order_by(ProductImage.position)
        ).all()
        assert 1 <= len(images) <= 3
        assert [image.position for image in images] == list(range(len(images)))
        for number, image in enumerate(images, start=1):
            assert image.alt_text == f"{product.name} — view {number}"
            assert (image.width, image.height) == (960, 960)
            folder = media_root / media_rules.key_directory(image.storage_key)
            assert (folder / "original.jpg").is_file()


def test_products_were_added_over_the_last_four_months(session):
    times = list(session.scalars(sa.select(Product.created_at)))
    now = datetime.now(UTC)

    assert all(time.tzinfo is not None for time in times)
    assert all(now - timedelta(days=121) < time <= now for time in times)
    assert max(times) - min(times) > timedelta(days=30)


def test_pictures_are_served(session, app):
    key = session.scalar(sa.select(ProductImage.storage_key).limit(1))

    response = app.test_client().get(f"/media/{key}/thumb.jpg")

    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"


def test_if_empty_does_nothing_on_a_seeded_store(app, session):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])

    assert result.exit_code == 0
    assert "already has a catalog" in result.output
    assert count(session, Product) == PRODUCTS


def test_a_seeded_store_is_not_seeded_again_without_reset(app, session):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--products", "5"])

    assert result.exit_code != 0
    assert "--reset" in result.output
    assert count(session, Product) == PRODUCTS
