"""The search follows every catalogue change: publishing, prices, stock, merchants, categories.

On PostgreSQL the search reads the `search_documents` read model, which triggers rewrite when a
transaction commits; these tests change the catalogue through the services (or the models, as an
admin screen would), commit, and check what the search shows. On SQLite the search reads the live
tables, so the same tests pin the behaviour both databases share. The PostgreSQL-only tests check
the read model row by row and under concurrent commits.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.catalog.models import Product, ProductStatus
from app.database import db, utcnow
from app.inventory import services as inventory
from app.inventory.models import StockItem
from app.merchants.models import MerchantStatus
from app.search.rules import parse_search_args
from app.search.services import SearchResults, search_products
from tests.support.factories import make_category, make_merchant, make_product
from tests.support.waiting import HANG_GUARD_SECONDS

# What the read model should hold: one row per visible product, computed from the live tables.
EXPECTED_ROWS = """
    SELECT p.id, p.category_id, p.merchant_id, p.price_amount,
           EXISTS (
               SELECT 1 FROM stock_items s WHERE s.product_id = p.id AND s.on_hand > s.reserved
           ) AS in_stock,
           p.created_at, p.search_vector
    FROM products p JOIN merchants m ON m.id = p.merchant_id
    WHERE p.status = 'published' AND m.status = 'active'
"""
STORED_ROWS = """
    SELECT product_id, category_id, merchant_id, price_amount, in_stock, created_at, document
    FROM search_documents
"""


def search(session: Session, **args) -> SearchResults:
    """A search from query-string style arguments."""
    return search_products(session, parse_search_args(args))


def names(results: SearchResults) -> list[str]:
    """Names of the products on the page, in order."""
    return [card.name for card in results.products.items]


def stale_rows(session: Session) -> int:
    """Rows the read model has wrong, missing or extra (PostgreSQL)."""
    return session.scalar(
        sa.text(
            f"SELECT count(*) FROM (({EXPECTED_ROWS} EXCEPT {STORED_ROWS}) "
            f"UNION ALL ({STORED_ROWS} EXCEPT {EXPECTED_ROWS})) AS differences"
        )
    )


@pytest.fixture()
def read_model_checked(database, is_postgres):
    """After the test, on PostgreSQL, the read model agrees with the catalogue."""
    yield database
    if is_postgres:
        database.rollback()
        assert stale_rows(database) == 0


def test_publishing_shows_a_product_and_unpublishing_hides_it(read_model_checked):
    # given
    session = read_model_checked
    lamp = make_product(name="Brass Lamp", published=False)
    hidden = search(session, q="lamp").products.total

    # when
    lamp.status = ProductStatus.PUBLISHED
    session.commit()
    shown = names(search(session, q="lamp"))
    lamp.status = ProductStatus.DRAFT
    session.commit()

    # then
    assert hidden == 0
    assert shown == ["Brass Lamp"]
    assert search(session, q="lamp").products.total == 0


def test_a_price_change_moves_the_product_to_another_price_bucket(read_model_checked):
    # given
    session = read_model_checked
    kettle = make_product(name="Copper Kettle", prices=(4000,))
    before = search(session, q="kettle", price="25-50").products.total

    # when
    kettle.price_amount = 15000
    session.commit()
    results = search(session, q="kettle")

    # then
    assert before == 1
    assert {value.value: value.count for value in results.facets.prices} == {"100-200": 1}
    assert search(session, q="kettle", price="25-50").products.total == 0
    assert names(search(session, q="kettle", price="100-200")) == ["Copper Kettle"]


def in_stock(session: Session, text: str) -> int:
    """How many products matching `text` the in-stock facet counts."""
    return search(session, q=text).facets.in_stock.count


def test_stock_going_to_zero_and_back_through_the_inventory_services(read_model_checked):
    # given
    session = read_model_checked
    drum = make_product(name="Snare Drum", stock=1)
    variant_id = drum.variants[0].id
    expires = utcnow() + timedelta(minutes=15)
    counts = [in_stock(session, "drum")]

    # when: the last unit is reserved, released, reserved again and sold, then restocked
    inventory.reserve_stock(session, reference="o-1", lines=[(variant_id, 1)], expires_at=expires)
    session.commit()
    counts.append(in_stock(session, "drum"))
    inventory.release_reservation(session, "o-1")
    session.commit()
    counts.append(in_stock(session, "drum"))
    inventory.reserve_stock(session, reference="o-2", lines=[(variant_id, 1)], expires_at=expires)
    session.commit()
    inventory.commit_reservation(session, "o-2")
    session.commit()
    counts.append(in_stock(session, "drum"))
    inventory.set_stock(session, variant_id=variant_id, product_id=drum.id, on_hand=4)
    session.commit()
    counts.append(in_stock(session, "drum"))
    inventory.set_stock(session, variant_id=variant_id, product_id=drum.id, on_hand=0)
    session.commit()
    counts.append(in_stock(session, "drum"))

    # then
    assert counts == [1, 0, 1, 0, 1, 0]
    assert names(search(session, q="drum")) == ["Snare Drum"]


def test_a_product_is_in_stock_while_any_of_its_variants_is(read_model_checked):
    # given
    session = read_model_checked
    boots = make_product(name="Hiking Boots", prices=(9000, 9500), stock=(1, 0))
    first, second = (variant.id for variant in boots.variants)
    counts = [in_stock(session, "boots")]

    # when
    inventory.set_stock(session, variant_id=first, product_id=boots.id, on_hand=0)
    session.commit()
    counts.append(in_stock(session, "boots"))
    inventory.set_stock(session, variant_id=second, product_id=boots.id, on_hand=2)
    session.commit()
    counts.append(in_stock(session, "boots"))

    # then
    assert counts == [1, 0, 1]


def test_suspending_a_merchant_hides_its_products_until_it_is_active_again(read_model_checked):
    # given
    session = read_model_checked
    shady = make_merchant("Shady Traders")
    make_product(merchant=shady, name="Glass Vase")
    make_product(merchant=shady, name="Glass Bowl")
    make_product(name="Glass Jar")

    # when
    shady.status = MerchantStatus.SUSPENDED
    session.commit()
    suspended = search(session, q="glass")
    shady.status = MerchantStatus.ACTIVE
    session.commit()
    reinstated = search(session, q="glass")

    # then
    assert names(suspended) == ["Glass Jar"]
    assert [value.value for value in suspended.facets.merchants] != ["shady-traders"]
    assert reinstated.products.total == 3
    assert "shady-traders" in [value.value for value in reinstated.facets.merchants]


def test_moving_a_product_to_another_category_moves_its_count(read_model_checked):
    # given
    session = read_model_checked
    hats, scarves = make_category("Hats"), make_category("Scarves")
    beanie = make_product(name="Wool Beanie", category=hats)

    # when
    beanie.category_id = scarves.id
    session.commit()
    results = search(session, q="wool")

    # then
    assert {value.value: value.count for value in results.facets.categories} == {"scarves": 1}


def test_renaming_and_deleting_reach_the_search(read_model_checked):
    # given
    session = read_model_checked
    mug = make_product(name="Stoneware Mug")
    make_product(name="Stoneware Plate")

    # when
    mug.name = "Enamel Mug"
    session.commit()
    renamed = names(search(session, q="stoneware"))
    session.delete(session.get(Product, mug.id))
    session.commit()

    # then
    assert renamed == ["Stoneware Plate"]
    assert search(session, q="mug").products.total == 0


def test_the_read_model_holds_one_row_per_visible_product(postgres):
    # given
    make_product(name="Shown")
    make_product(name="Draft", published=False)
    make_product(name="Pending", merchant=make_merchant(approved=False))

    # when
    stored = postgres.execute(sa.text("SELECT count(*) FROM search_documents")).scalar()

    # then
    assert stored == 1
    assert stale_rows(postgres) == 0


def test_a_stock_row_moved_to_another_product_updates_both(postgres):
    # given
    source = make_product(name="Moved Tent", stock=3)
    target = make_product(name="Moved Tarp", stock=0)

    # when
    item = postgres.get(StockItem, source.variants[0].id)
    item.product_id = target.id
    postgres.commit()

    # then
    assert names(search(postgres, q="moved", in_stock="1")) == ["Moved Tarp"]
    assert stale_rows(postgres) == 0


def buy_last_units_at_once(app, variant_ids: list[int]) -> None:
    """Each variant's last unit is reserved by its own transaction; all of them commit together."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    expires = utcnow() + timedelta(minutes=15)
    reserved = threading.Barrier(len(variant_ids))
    errors: list[BaseException] = []

    def buy(index: int, variant_id: int) -> None:
        try:
            with Session(engine) as session:
                inventory.reserve_stock(
                    session,
                    reference=f"race-{variant_id}",
                    lines=[(variant_id, 1)],
                    expires_at=expires,
                )
                reserved.wait(timeout=HANG_GUARD_SECONDS)
                session.commit()
        except BaseException as error:  # reported below: the test fails on it
            errors.append(error)

    threads = [
        threading.Thread(target=buy, args=(index, variant_id))
        for index, variant_id in enumerate(variant_ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert errors == []


def test_buyers_taking_the_last_unit_of_every_variant_at_once_leave_it_out_of_stock(app, postgres):
    # given: products whose every variant has one unit left
    products = [
        make_product(name=f"Racing Kite {number}", prices=(2000, 2100, 2200), stock=1)
        for number in range(4)
    ]

    # when: for each product, three buyers take one variant each and commit at the same moment
    for product in products:
        buy_last_units_at_once(app, [variant.id for variant in product.variants])

    # then
    db.session.remove()
    assert in_stock(db.session, "kite") == 0
    assert search(db.session, q="kite", in_stock="1").products.total == 0
    assert stale_rows(db.session) == 0
