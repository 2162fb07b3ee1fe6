"""Cart services on the real database and Redis: re-checking, changes, merge, TTL, count."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.cart import rules, services
from app.catalog.models import Product, ProductImage, ProductVariant
from app.database import utcnow
from app.extensions import redis_client
from app.inventory import services as inventory
from app.merchants.models import Merchant, MerchantStatus
from app.money import Money
from tests.support.factories import make_merchant, make_product
from tests.support.queries import count_queries

KEY = "guest:" + "a" * 43
USER_KEY = "user:1"


@pytest.fixture()
def store(app, database) -> services.CartStore:
    """The app's cart store, on this run's (flushed) Redis."""
    return services.cart_store(app)


def set_stock(session, product: Product, on_hand: int, index: int = 0) -> None:
    variant = product.variants[index]
    inventory.set_stock(session, variant_id=variant.id, product_id=product.id, on_hand=on_hand)
    session.commit()


def test_adding_returns_the_line_as_the_catalog_has_it(database, store):
    # given a two-size product with a picture for the second size, and a one-size product
    merchant = make_merchant("Juniper & Oak")
    shirt = make_product(merchant=merchant, name="Tee", prices=(1800, 1900), stock=(12, 3))
    mug = make_product(merchant=merchant, name="Mug", prices=(1200,), stock=4)
    shirt.variants[1].weight_grams = 180
    database.add(
        ProductImage(product_id=shirt.id, variant_id=None, storage_key="a" * 32, position=0)
    )
    database.add(
        ProductImage(
            product_id=shirt.id, variant_id=shirt.variants[1].id, storage_key="b" * 32, position=1
        )
    )
    database.commit()
    medium = shirt.variants[1]
    # when
    services.add_item(database, store, KEY, medium.id, 2)
    cart = services.add_item(database, store, KEY, mug.variants[0].id)
    # then
    line = cart.line(medium.id)
    assert line == services.CartLine(
        variant_id=medium.id,
        product_id=shirt.id,
        merchant_id=merchant.id,
        merchant_name="Juniper & Oak",
        product_name="Tee",
        product_slug=shirt.slug,
        variant_name="S1",
        sku=medium.sku,
        image_key="b" * 32,
        unit_price=Money(1900, "USD"),
        quantity=2,
        available=3,
        weight_grams=180,
    )
    assert line.line_total == Money(3800, "USD")
    assert cart.line(mug.variants[0].id).variant_name == ""
    assert cart.line(mug.variants[0].id).image_key is None
    assert cart.count == 3 and cart.subtotal == Money(5000, "USD") and cart.notices == ()
    assert [group.merchant_name for group in cart.groups] == ["Juniper & Oak"]


def test_every_change_sets_the_lifetime(app, database, store):
    variant = make_product(stock=5).variants[0]
    client = redis_client(app)

    services.add_item(database, store, KEY, variant.id)
    client.expire(store.redis_key(KEY), 60)
    services.set_quantity(database, store, KEY, variant.id, 2)

    lifetime = timedelta(days=app.config["CART_LIFETIME_DAYS"]).total_seconds()
    assert lifetime - 5 <= client.ttl(store.redis_key(KEY)) <= lifetime


def test_load_checks_every_line_in_one_statement(database, store):
    products = [make_product(prices=(1000, 2000), stock=5) for _ in range(4)]
    for product in products:
        for variant in product.variants:
            services.add_item(database, store, KEY, variant.id)
    database.commit()

    with count_queries(database.get_bind()) as queries:
        cart = services.load_cart(database, store, KEY)

    assert len(cart.lines) == 8
    assert queries.count == 1, queries


def test_an_empty_cart_needs_no_statement(database, store):
    with count_queries(database.get_bind()) as queries:
        cart = services.load_cart(database, store, KEY)

    assert cart.is_empty and cart.currency == "USD"
    assert queries.count == 0


def test_load_removes_lines_no_longer_for_sale_with_a_notice(database, store):
    # given four lines, then one product unpublished, one merchant suspended, one variant deleted
    draft = make_product(name="Draft Lamp")
    suspended = make_product(name="Quiet Speaker")
    deleted = make_product(name="Old Mug", prices=(100, 200))
    kept = make_product(name="Good Tee")
    for product in (draft, suspended, deleted, kept):
        services.add_item(database, store, KEY, product.variants[0].id)
    draft.status = "draft"
    database.get(Merchant, suspended.merchant_id).status = MerchantStatus.SUSPENDED
    database.delete(database.get(ProductVariant, deleted.variants[0].id))
    database.commit()
    # when
    cart = services.load_cart(database, store, KEY)
    again = services.load_cart(database, store, KEY)
    # then
    assert [line.product_name for line in cart.lines] == ["Good Tee"]
    assert sorted(cart.notices) == [
        "An item in your cart is no longer sold here, so we removed it.",
        "Draft Lamp is no longer available, so we removed it from your cart.",
        "Quiet Speaker is no longer available, so we removed it from your cart.",
    ]
    assert again.notices == () and services.cart_count(store, KEY) == 1


def test_load_lowers_quantities_to_stock_and_drops_sold_out_lines(database, store):
    lamp = make_product(name="Lamp", stock=10)
    mug = make_product(name="Mug", stock=10)
    services.add_item(database, store, KEY, lamp.variants[0].id, 6)
    services.add_item(database, store, KEY, mug.variants[0].id, 2)
    set_stock(database, lamp, 3)
    set_stock(database, mug, 0)

    cart = services.load_cart(database, store, KEY)

    assert [(line.product_name, line.quantity) for line in cart.lines] == [("Lamp", 3)]
    assert cart.notices == (
        "Only 3 left of Lamp; we changed your quantity.",
        "Mug is out of stock, so we removed it from your cart.",
    )
    assert services.cart_count(store, KEY) == 3


def test_reserved_units_are_not_available(database, store):
    lamp = make_product(name="Lamp", stock=10)
    variant = lamp.variants[0]
    services.add_item(database, store, KEY, variant.id, 5)
    inventory.reserve_stock(
        database,
        reference="order-1",
        lines=[(variant.id, 8)],
        expires_at=utcnow() + timedelta(minutes=15),
    )
    database.commit()

    cart = services.load_cart(database, store, KEY)

    assert cart.line(variant.id).quantity == 2 and cart.line(variant.id).available == 2


def test_a_price_change_is_reported_with_both_prices_once(database, store):
    product = make_product(name="Lamp", prices=(1000,))
    variant = product.variants[0]
    services.add_item(database, store, KEY, variant.id)
    database.get(ProductVariant, variant.id).price_amount = 1250
    database.commit()

    cart = services.load_cart(database, store, KEY)
    again = services.load_cart(database, store, KEY)

    assert cart.notices == ("The price of Lamp changed from $10.00 to $12.50.",)
    assert cart.subtotal == Money(1250, "USD")
    assert again.notices == ()


def test_adding_beyond_stock_keeps_what_is_left_with_a_notice(database, store):
    variant = make_product(name="Lamp", stock=3).variants[0]

    services.add_item(database, store, KEY, variant.id, 2)
    cart = services.add_item(database, store, KEY, variant.id, 2)

    assert cart.line(variant.id).quantity == 3
    assert cart.notices == ("Only 3 left of Lamp; we changed your quantity.",)


@pytest.mark.parametrize(
    ("variant_id", "quantity", "error"),
    [
        (0, 1, rules.InvalidVariant),
        (2**40, 1, rules.InvalidVariant),
        (1, 0, rules.InvalidQuantity),
        (1, -2, rules.InvalidQuantity),
        (1, 100, rules.InvalidQuantity),
        (999_999, 1, rules.ItemNotFound),
    ],
)
def test_adding_refuses_bad_arguments_and_unknown_variants(
    database, store, variant_id, quantity, error
):
    with pytest.raises(error):
        services.add_item(database, store, KEY, variant_id, quantity)

    assert services.cart_count(store, KEY) == 0


def test_adding_refuses_sold_out_and_unpublished_variants(database, store):
    sold_out = make_product(name="Lamp", stock=0).variants[0]
    draft = make_product(name="Draft", published=False).variants[0]

    with pytest.raises(rules.OutOfStock, match="Sorry, Lamp is out of stock"):
        services.add_item(database, store, KEY, sold_out.id)
    with pytest.raises(rules.ItemNotFound):
        services.add_item(database, store, KEY, draft.id)


def test_set_quantity_changes_lowers_and_removes(database, store):
    lamp = make_product(name="Lamp", stock=4).variants[0]
    mug = make_product(name="Mug", stock=4).variants[0]
    services.add_item(database, store, KEY, lamp.id)
    services.add_item(database, store, KEY, mug.id)

    changed = services.set_quantity(database, store, KEY, lamp.id, 3)
    lowered = services.set_quantity(database, store, KEY, lamp.id, 9)
    removed = services.set_quantity(database, store, KEY, mug.id, 0)

    assert changed.line(lamp.id).quantity == 3 and changed.notices == ()
    assert lowered.line(lamp.id).quantity == 4
    assert lowered.notices == ("Only 4 left of Lamp; we changed your quantity.",)
    assert removed.line(mug.id) is None and removed.count == 4
    with pytest.raises(rules.LineNotFound):
        services.set_quantity(database, store, KEY, mug.id, 1)
    with pytest.raises(rules.InvalidQuantity):
        services.set_quantity(database, store, KEY, lamp.id, 100)


def test_remove_item_is_idempotent_and_the_last_removal_deletes_the_cart(app, database, store):
    variant = make_product(stock=4).variants[0]
    services.add_item(database, store, KEY, variant.id)

    first = services.remove_item(database, store, KEY, variant.id)
    second = services.remove_item(database, store, KEY, variant.id)

    assert first.is_empty and second.is_empty
    assert not redis_client(app).exists(store.redis_key(KEY))


def test_merge_adds_quantities_capped_by_stock_and_deletes_the_guest_cart(app, database, store):
    # given a guest cart and a user cart sharing one variant
    lamp = make_product(name="Lamp", stock=5).variants[0]
    mug = make_product(name="Mug", stock=5).variants[0]
    tee = make_product(name="Tee", stock=5).variants[0]
    services.add_item(database, store, KEY, lamp.id, 4)
    services.add_item(database, store, KEY, mug.id, 1)
    services.add_item(database, store, USER_KEY, lamp.id, 3)
    services.add_item(database, store, USER_KEY, tee.id, 2)
    # when
    cart = services.merge_carts(database, store, KEY, USER_KEY)
    # then
    assert {line.product_name: line.quantity for line in cart.lines} == {
        "Lamp": 5,
        "Mug": 1,
        "Tee": 2,
    }
    assert cart.notices == ("Only 5 left of Lamp; we changed your quantity.",)
    assert not redis_client(app).exists(store.redis_key(KEY))
    assert services.cart_count(store, USER_KEY) == 8
    assert redis_client(app).ttl(store.redis_key(USER_KEY)) > 0


def test_merging_a_cart_into_itself_changes_nothing(database, store):
    variant = make_product(stock=5).variants[0]
    services.add_item(database, store, KEY, variant.id, 2)

    cart = services.merge_carts(database, store, KEY, KEY)

    assert cart.count == 2 and services.cart_count(store, KEY) == 2


def test_clear_cart_forgets_everything(database, store):
    variant = make_product(stock=5).variants[0]
    services.add_item(database, store, KEY, variant.id, 2)

    services.clear_cart(store, KEY)

    assert services.load_cart(database, store, KEY).is_empty


def test_cart_count_is_one_redis_call_and_no_sql(app, database, store, monkeypatch):
    variant = make_product(prices=(100, 200), stock=5).variants
    services.add_item(database, store, KEY, variant[0].id, 2)
    services.add_item(database, store, KEY, variant[1].id, 3)
    client = store.client
    calls = []
    original = client.execute_command

    def counting(*args, **options):
        calls.append(args[0])
        return original(*args, **options)

    monkeypatch.setattr(client, "execute_command", counting)
    with count_queries(database.get_bind()) as queries:
        count = services.cart_count(store, KEY)

    assert count == 5
    assert len(calls) == 1 and queries.count == 0


def test_a_concurrent_change_is_never_lost(database, store):
    # given a cart with one line
    lamp = make_product(name="Lamp", stock=9).variants[0]
    mug = make_product(name="Mug", stock=9).variants[0]
    services.add_item(database, store, KEY, lamp.id)
    attempts = []

    def change(carts):
        attempts.append(dict(carts[KEY].quantities))
        if len(attempts) == 1:
            # another request adds a mug after this one has read the cart
            store.client.hset(store.redis_key(KEY), str(mug.id), "2")
        cart = carts[KEY]
        return {KEY: rules.StoredCart({**cart.quantities, lamp.id: 5}, cart.seen_prices)}, None

    # when
    store.update([KEY], change)
    # then the change ran again on the fresh cart, keeping the other request's mug
    assert attempts == [{lamp.id: 1}, {lamp.id: 1, mug.id: 2}]
    assert store.read(KEY).quantities == {lamp.id: 5, mug.id: 2}
