"""The `category_counts` read model (migration 0005): a category page's product count stays exact
whatever writes the products, on both databases and under concurrent writers."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app.catalog.listings import category_listing
from app.catalog.models import Category, CategoryCount, Product, ProductStatus
from app.catalog.tree import category_tree
from app.database import db
from app.merchants.models import Merchant, MerchantStatus
from tests.support.factories import make_category, make_merchant, make_product


def shown_count(category: Category) -> int:
    """The count the category page shows (from the read model)."""
    tree = category_tree(db.session)
    listing = category_listing(db.session, category.slug, 1, "newest", tree)
    return listing.products.total


def live_count(category: Category) -> int:
    """Visible products in the category or under it, counted from the products themselves."""
    in_scope = sa.or_(Product.category_id == category.id, Product.root_category_id == category.id)
    return db.session.scalar(
        sa.select(sa.func.count(Product.id))
        .join(Merchant, Merchant.id == Product.merchant_id)
        .where(
            in_scope,
            Product.status == ProductStatus.PUBLISHED,
            Merchant.status == MerchantStatus.ACTIVE,
        )
    )


def assert_counts_match(*categories: Category) -> None:
    db.session.expire_all()
    for category in categories:
        assert shown_count(category) == live_count(category), category.name


@pytest.fixture()
def tree(database):
    """Two top-level categories, the first with two subcategories."""
    home = make_category("Home")
    lamps = make_category("Lamps", parent=home)
    rugs = make_category("Rugs", parent=home)
    garden = make_category("Garden")
    database.commit()
    return home, lamps, rugs, garden


def test_a_category_counts_its_published_products_and_its_subcategories(tree):
    home, lamps, rugs, garden = tree
    merchant = make_merchant()
    make_product(category=lamps, merchant=merchant)
    make_product(category=lamps, merchant=merchant)
    make_product(category=rugs)
    make_product(category=home)
    make_product(category=lamps, published=False)

    assert [shown_count(c) for c in (home, lamps, rugs, garden)] == [4, 2, 1, 0]
    assert_counts_match(*tree)


def test_publishing_moving_and_deleting_products_keep_counts_exact(tree, database):
    home, lamps, rugs, garden = tree
    lamp = make_product(category=lamps)
    draft = make_product(category=rugs, published=False)

    draft.status = ProductStatus.PUBLISHED
    database.commit()
    assert_counts_match(*tree)

    lamp.category_id, lamp.root_category_id = garden.id, garden.id
    database.commit()
    assert_counts_match(*tree)

    lamp.category_id, lamp.root_category_id = rugs.id, home.id
    database.commit()
    assert_counts_match(*tree)

    draft.status = ProductStatus.DRAFT
    database.commit()
    assert_counts_match(*tree)

    database.delete(lamp)
    database.commit()
    assert_counts_match(*tree)
    assert [shown_count(c) for c in (home, lamps, rugs, garden)] == [0, 0, 0, 0]


def test_a_product_moving_to_another_merchant_is_counted_once(tree, database):
    home, lamps, _, _ = tree
    product = make_product(category=lamps)
    product.merchant_id = make_merchant().id
    database.commit()

    assert shown_count(lamps) == shown_count(home) == 1
    assert_counts_match(*tree)


def test_a_suspended_merchant_s_products_are_not_counted(tree, database):
    home, lamps, _, _ = tree
    kept, suspended = make_merchant(), make_merchant()
    make_product(category=lamps, merchant=kept)
    make_product(category=lamps, merchant=suspended)
    suspended.status = MerchantStatus.SUSPENDED
    database.commit()

    assert shown_count(lamps) == shown_count(home) == 1
    assert_counts_match(*tree)


def test_bulk_statements_are_counted(tree, database):
    home, lamps, rugs, _ = tree
    merchant = make_merchant()
    rows = [
        {
            "merchant_id": merchant.id,
            "category_id": (lamps if n % 2 else rugs).id,
            "root_category_id": home.id,
            "name": f"Bulk {n}",
            "slug": f"bulk-{n}",
            "status": "published" if n % 3 else "draft",
        }
        for n in range(60)
    ]
    database.execute(sa.insert(Product), rows)
    database.commit()
    assert_counts_match(*tree)

    database.execute(
        sa.update(Product).where(Product.slug.like("bulk-%")).values(status="published")
    )
    database.commit()
    assert_counts_match(*tree)
    assert shown_count(home) == 60

    database.execute(sa.delete(Product).where(Product.category_id == lamps.id))
    database.commit()
    assert_counts_match(*tree)
    assert shown_count(home) == 30


def test_emptying_the_products_table_empties_the_counts(tree, database, is_postgres):
    _, lamps, _, _ = tree
    make_product(category=lamps)
    statement = "TRUNCATE products CASCADE" if is_postgres else "DELETE FROM products"

    database.execute(sa.text(statement))
    database.commit()

    assert database.scalar(sa.select(sa.func.sum(CategoryCount.published))) in (None, 0)


def test_concurrent_writers_leave_exact_counts(app, postgres):
    home = make_category("Home")
    lamps = make_category("Lamps", parent=home)
    rugs = make_category("Rugs", parent=home)
    merchants = [make_merchant() for _ in range(2)]
    postgres.commit()
    ids = (home.id, lamps.id, rugs.id, [m.id for m in merchants])
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(number: int) -> None:
        home_id, lamps_id, rugs_id, merchant_ids = ids
        try:
            with app.app_context():
                start.wait()
                for n in range(15):
                    leaf = lamps_id if (n + number) % 2 else rugs_id
                    product = Product(
                        merchant_id=merchant_ids[n % 2],
                        category_id=leaf,
                        root_category_id=home_id,
                        name=f"W{number}-{n}",
                        slug=f"w{number}-{n}",
                        status="published",
                    )
                    db.session.add(product)
                    db.session.commit()
                    if n % 5 == 0:
                        product.status = "draft"
                        db.session.commit()
                db.session.remove()
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert shown_count(home) == 8 * 12
    assert_counts_match(home, lamps, rugs)


def test_autogenerate_sees_the_model_and_the_table_alike(database):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)

    assert [diff for diff in differences if "category_counts" in repr(diff)] == []


def merchant_of_revision_0004() -> int:
    """An active merchant written with the columns `merchants` had at revision 0004 (the
    model has more now)."""
    merchants = sa.table(
        "merchants",
        *(sa.column(name) for name in ("name", "slug", "description")),
        sa.column("contact_email"),
        sa.column("status"),
        sa.column("created_at"),
    )
    return db.session.execute(
        sa.insert(merchants)
        .values(
            name="Old Shop",
            slug="old-shop",
            description="",
            contact_email="",
            status=MerchantStatus.ACTIVE.value,
            created_at=sa.func.now(),
        )
        .returning(sa.literal_column("id"))
    ).scalar_one()


def add_product_row(merchant_id: int, category: Category, published: bool = True) -> None:
    """A product row alone (the `products` table is the same at every revision from 0004 on);
    the counts read nothing else."""
    name = f"Old product {db.session.scalar(sa.select(sa.func.count(Product.id))) + 1}"
    db.session.add(
        Product(
            merchant_id=merchant_id,
            category_id=category.id,
            root_category_id=category.parent_id or category.id,
            name=name,
            slug=name.lower().replace(" ", "-"),
            status=ProductStatus.PUBLISHED if published else ProductStatus.DRAFT,
        )
    )
    db.session.flush()


def test_the_migration_fills_the_counts_and_goes_down_and_up_again(scratch_app):
    directory = str(scratch_app.config["MIGRATIONS_DIR"])
    with scratch_app.app_context():
        upgrade(directory=directory, revision="0004")
        home = make_category("Home")
        lamps = make_category("Lamps", parent=home)
        merchant_id = merchant_of_revision_0004()
        add_product_row(merchant_id, lamps)
        add_product_row(merchant_id, home)
        add_product_row(merchant_id, lamps, published=False)
        db.session.commit()

        upgrade(directory=directory, revision="0005")
        filled = (shown_count(home), shown_count(lamps))
        db.session.remove()
        downgrade(directory=directory, revision="0004")
        tables_down = sa.inspect(db.engine).get_table_names()
        upgrade(directory=directory, revision="0005")
        add_product_row(merchant_id, lamps)
        db.session.commit()
        redone = (shown_count(home), shown_count(lamps))
        db.session.remove()
        db.engine.dispose()

    assert filled == (2, 1)
    assert "category_counts" not in tables_down
    assert redone == (3, 2)
