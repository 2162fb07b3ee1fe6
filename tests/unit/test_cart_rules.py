"""Cart rules without a database: input, identities, storage format, edits and re-checking."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.cart import rules
from app.cart.rules import CartView, StoredCart
from app.catalog.offers import VariantOffer
from app.money import Money


def usd(amount: int) -> Money:
    return Money(amount, "USD")


def offer(variant_id: int = 1, **changes) -> VariantOffer:
    """A variant for sale: $10.00, 5 available, sold by Acme."""
    values = {
        "variant_id": variant_id,
        "product_id": 100 + variant_id,
        "merchant_id": 7,
        "merchant_name": "Acme",
        "product_name": f"Thing {variant_id}",
        "product_slug": f"thing-{variant_id}",
        "variant_name": "M",
        "sku": f"SKU-{variant_id}",
        "image_key": None,
        "price": usd(1000),
        "weight_grams": 250,
        "available": 5,
        "for_sale": True,
    }
    values.update(changes)
    return VariantOffer(**values)


def stored(quantities: dict[int, int], prices: dict[int, int] | None = None) -> StoredCart:
    seen = {variant_id: usd(1000) for variant_id in quantities}
    seen.update({variant_id: usd(amount) for variant_id, amount in (prices or {}).items()})
    return StoredCart(quantities, seen)


@pytest.mark.parametrize(
    ("text", "minimum", "expected"),
    [("1", 1, 1), (" 7 ", 1, 7), ("99", 1, 99), ("0", 0, 0), ("05", 1, 5)],
)
def test_parse_quantity_accepts_whole_numbers_in_range(text, minimum, expected):
    assert rules.parse_quantity(text, minimum) == expected


@pytest.mark.parametrize(
    "text",
    ["", None, "0", "-1", "100", "abc", "1.5", "1e2", "\uff12", "99999999999999999999999", "+3"],
)
def test_parse_quantity_rejects_anything_else_with_a_clear_message(text):
    with pytest.raises(rules.InvalidQuantity, match="Choose a quantity from 1 to 99"):
        rules.parse_quantity(text, minimum=1)


@pytest.mark.parametrize("value", [True, 2.0, "3", -1, 100])
def test_check_quantity_rejects_non_ints_and_out_of_range(value):
    with pytest.raises(rules.InvalidQuantity):
        rules.check_quantity(value)


@pytest.mark.parametrize("text", ["", None, "0", "-3", "x", "2147483648", "9" * 30, "1.0"])
def test_parse_variant_id_rejects_what_cannot_be_an_id(text):
    with pytest.raises(rules.InvalidVariant):
        rules.parse_variant_id(text)


def test_parse_variant_id_accepts_ids():
    assert rules.parse_variant_id(" 42 ") == 42
    assert rules.parse_variant_id("2147483647") == 2147483647


def test_guest_tokens_are_random_and_checked():
    first, second = rules.new_guest_token(), rules.new_guest_token()

    assert first != second
    assert rules.is_guest_token(first) and len(first) == 43
    assert rules.guest_cart_key(first) == f"guest:{first}"
    assert rules.user_cart_key(5) == "user:5"
    for bad in (None, "", "short", first + "x", first[:-1] + "!", "../" + first[3:]):
        assert not rules.is_guest_token(bad)
    with pytest.raises(ValueError):
        rules.guest_cart_key("user:5")


def test_encode_and_decode_round_trip():
    cart = StoredCart({3: 2, 11: 1}, {3: usd(1999), 11: Money(500, "EUR")})

    fields = rules.encode(cart)
    as_redis_returns = {name.encode(): value.encode() for name, value in fields.items()}

    assert fields == {"3": "2", "11": "1", "price:3": "1999 USD", "price:11": "500 EUR"}
    assert rules.decode(as_redis_returns) == cart
    assert rules.decode(fields) == cart


def test_decode_skips_fields_it_did_not_write():
    fields = {
        "4": "2",
        "5": "zero",
        "6": "0",
        "x": "1",
        "price:4": "abc USD",
        "price:9": "100 USD",
        "price:": "1",
    }

    assert rules.decode(fields) == StoredCart({4: 2}, {})


def test_add_quantity_adds_and_remembers_the_price_seen_now():
    offers = {1: offer(1, price=usd(1200)), 2: offer(2)}

    first = rules.add_quantity(rules.EMPTY, offers, 1, 2, "USD")
    again = rules.add_quantity(first, offers, 1, 1, "USD")

    assert first == StoredCart({1: 2}, {1: usd(1200)})
    assert again.quantities == {1: 3}


@pytest.mark.parametrize(
    ("offers", "error", "message"),
    [
        ({}, rules.ItemNotFound, "not for sale"),
        ({1: offer(1, for_sale=False)}, rules.ItemNotFound, "not for sale"),
        ({1: offer(1, price=Money(1000, "EUR"))}, rules.ItemNotFound, "not for sale"),
        ({1: offer(1, available=0)}, rules.OutOfStock, r"Thing 1 \(M\) is out of stock"),
    ],
)
def test_add_quantity_refuses_what_cannot_be_bought(offers, error, message):
    with pytest.raises(error, match=message):
        rules.add_quantity(rules.EMPTY, offers, 1, 1, "USD")


def test_a_full_cart_takes_more_of_its_lines_but_no_new_one():
    full = stored({variant_id: 1 for variant_id in range(1, rules.MAX_LINES + 1)})
    offers = {variant_id: offer(variant_id) for variant_id in range(1, rules.MAX_LINES + 2)}

    assert rules.add_quantity(full, offers, 1, 1, "USD").quantities[1] == 2
    with pytest.raises(rules.CartFull, match="up to 50 different items"):
        rules.add_quantity(full, offers, rules.MAX_LINES + 1, 1, "USD")


def test_set_line_quantity_changes_removes_or_refuses_unknown_lines():
    cart = stored({1: 2, 2: 1})

    assert rules.set_line_quantity(cart, 1, 5).quantities == {1: 5, 2: 1}
    assert rules.set_line_quantity(cart, 1, 0) == stored({2: 1})
    with pytest.raises(rules.LineNotFound):
        rules.set_line_quantity(cart, 3, 1)


def test_without_is_harmless_for_missing_lines():
    cart = stored({1: 2})

    assert rules.without(cart, 9) == cart
    assert rules.without(cart, 1) == rules.EMPTY


def test_combine_adds_quantities_and_keeps_the_guests_newer_price():
    guest = stored({1: 2, 2: 1}, prices={1: 1500})
    user = stored({1: 1, 3: 4}, prices={1: 1000})

    combined, notices = rules.combine(guest, user)

    assert combined.quantities == {1: 3, 3: 4, 2: 1}
    assert combined.seen_prices[1] == usd(1500)
    assert notices == ()


def test_combine_leaves_out_lines_beyond_the_limit_and_says_so():
    user = stored({variant_id: 1 for variant_id in range(1, rules.MAX_LINES + 1)})
    guest = stored({1: 1, 500: 1, 501: 1})

    combined, notices = rules.combine(guest, user)

    assert len(combined.quantities) == rules.MAX_LINES and combined.quantities[1] == 2
    assert notices == (
        "Your cart can hold up to 50 different items, so 2 from before you logged in "
        "could not be added.",
    )


def test_reconcile_keeps_a_valid_cart_as_it_is():
    cart = stored({1: 2, 2: 1})

    result = rules.reconcile(cart, {1: offer(1), 2: offer(2)}, "USD")

    assert result.cart == cart and result.notices == ()
    assert [(line.variant_id, line.quantity, line.available) for line in result.lines] == [
        (1, 2, 5),
        (2, 1, 5),
    ]


def test_reconcile_removes_gone_unsellable_and_sold_out_lines_with_notices():
    cart = stored({1: 1, 2: 1, 3: 1, 4: 1, 5: 1})
    offers = {
        2: offer(2, for_sale=False),
        3: offer(3, available=0),
        4: offer(4, price=Money(1000, "EUR")),
        5: offer(5),
    }

    result = rules.reconcile(cart, offers, "USD")

    assert result.cart == stored({5: 1})
    assert result.notices == (
        "An item in your cart is no longer sold here, so we removed it.",
        "Thing 2 (M) is no longer available, so we removed it from your cart.",
        "Thing 3 (M) is out of stock, so we removed it from your cart.",
        "Thing 4 (M) is no longer available, so we removed it from your cart.",
    )


def test_reconcile_lowers_a_quantity_to_the_units_left():
    result = rules.reconcile(stored({1: 5}), {1: offer(1, available=3, variant_name="")}, "USD")

    assert result.cart.quantities == {1: 3}
    assert result.lines[0].quantity == 3
    assert result.notices == ("Only 3 left of Thing 1; we changed your quantity.",)


@pytest.mark.parametrize(
    ("wanted", "available", "kept", "notice"),
    [
        (150, 500, 99, "You can have up to 99 of Thing 1 (M) in your cart"),
        (150, 60, 60, "Only 60 left of Thing 1 (M)"),
        (100, 99, 99, "You can have up to 99"),
    ],
)
def test_reconcile_caps_quantities_at_the_line_maximum(wanted, available, kept, notice):
    result = rules.reconcile(stored({1: wanted}), {1: offer(1, available=available)}, "USD")

    assert result.cart.quantities == {1: kept}
    assert result.notices[0].startswith(notice)


def test_reconcile_reports_a_price_change_once_with_old_and_new_price():
    cart = stored({1: 1}, prices={1: 1000})
    offers = {1: offer(1, price=usd(1250))}

    first = rules.reconcile(cart, offers, "USD")
    second = rules.reconcile(first.cart, offers, "USD")

    assert first.notices == ("The price of Thing 1 (M) changed from $10.00 to $12.50.",)
    assert first.cart.seen_prices == {1: usd(1250)}
    assert first.lines[0].unit_price == usd(1250)
    assert second.notices == () and second.cart == first.cart


def test_cart_view_groups_by_merchant_name_and_adds_up():
    offers = {
        1: offer(1, merchant_id=2, merchant_name="Zephyr", price=usd(500), weight_grams=100),
        2: offer(2, merchant_id=3, merchant_name="acme", price=usd(250), weight_grams=40),
        3: offer(3, merchant_id=2, merchant_name="Zephyr", price=usd(100), weight_grams=10),
    }
    checked = rules.reconcile(stored({1: 2, 2: 4, 3: 1}), offers, "USD")

    cart = CartView(checked.lines, checked.notices, "USD")

    assert [group.merchant_name for group in cart.groups] == ["acme", "Zephyr"]
    zephyr = cart.groups[1]
    assert [line.variant_id for line in zephyr.lines] == [1, 3]
    assert zephyr.subtotal == usd(1100) and zephyr.weight_grams == 210
    assert cart.subtotal == usd(2100) and cart.count == 7 and cart.currency == "USD"
    assert cart.line(2).line_total == usd(1000) and cart.line(9) is None
    assert not cart.is_empty


def test_an_empty_cart_view_has_a_currency_and_nothing_else():
    cart = CartView((), (), "EUR")

    assert cart.is_empty and cart.count == 0 and cart.groups == ()
    assert cart.subtotal == Money(0, "EUR")


def test_line_titles_and_maximum():
    line = rules.reconcile(stored({1: 1}), {1: offer(1, available=500)}, "USD").lines[0]

    assert line.title == "Thing 1 (M)"
    assert replace(line, variant_name="").title == "Thing 1"
    assert line.max_quantity == 99
    assert replace(line, available=3).max_quantity == 3
