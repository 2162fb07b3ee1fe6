"""Cart rules that need no database or Redis: identities, input, and re-checking stored lines."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import groupby
from typing import TYPE_CHECKING

from app.money import Money

if TYPE_CHECKING:
    from app.catalog.offers import VariantOffer

MAX_QUANTITY = 99
MAX_LINES = 50
MAX_VARIANT_ID = 2**31 - 1
GUEST_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
WHOLE_NUMBER = re.compile(r"[0-9]{1,12}")
PRICE_FIELD = "price:"
GONE = "An item in your cart is no longer sold here, so we removed it."


class CartError(Exception):
    """A cart change that cannot be made; the message is written for the shopper."""


class InvalidQuantity(CartError):
    """The quantity is not a whole number in the allowed range."""


class InvalidVariant(CartError):
    """The variant id is not an id at all."""


class ItemNotFound(CartError):
    """No variant with that id is for sale."""


class OutOfStock(CartError):
    """The variant exists but none is left to buy."""


class LineNotFound(CartError):
    """The cart has no line for that variant."""


class CartFull(CartError):
    """The cart already holds as many different items as it may."""


def user_cart_key(user_id: int) -> str:
    """The cart key of a signed-in user."""
    return f"user:{user_id}"


def guest_cart_key(token: str) -> str:
    """The cart key of a guest, from the token in their `cart` cookie."""
    if not is_guest_token(token):
        raise ValueError("not a guest cart token")
    return f"guest:{token}"


def new_guest_token() -> str:
    """A fresh, unguessable guest cart token (32 random bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def is_guest_token(text: str | None) -> bool:
    """Whether `text` has the shape of a token from `new_guest_token`."""
    return bool(text) and GUEST_TOKEN.fullmatch(text) is not None


def check_quantity(quantity: int, minimum: int = 1) -> int:
    """`quantity` itself when it is an int from `minimum` to MAX_QUANTITY; else InvalidQuantity."""
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not minimum <= quantity <= MAX_QUANTITY
    ):
        raise InvalidQuantity(f"Choose a quantity from {minimum} to {MAX_QUANTITY}.")
    return quantity


def parse_quantity(text: str | None, minimum: int = 1) -> int:
    """A quantity typed into a form (digits only); raises InvalidQuantity."""
    cleaned = (text or "").strip()
    if not WHOLE_NUMBER.fullmatch(cleaned):
        raise InvalidQuantity(f"Choose a quantity from {minimum} to {MAX_QUANTITY}.")
    return check_quantity(int(cleaned), minimum)


def check_variant_id(variant_id: int) -> int:
    """`variant_id` itself when it can be a database id; else InvalidVariant."""
    if (
        isinstance(variant_id, bool)
        or not isinstance(variant_id, int)
        or not 1 <= variant_id <= MAX_VARIANT_ID
    ):
        raise InvalidVariant("That is not an item we sell. Choose it again on its product page.")
    return variant_id


def parse_variant_id(text: str | None) -> int:
    """A variant id sent by a form; raises InvalidVariant."""
    cleaned = (text or "").strip()
    if not WHOLE_NUMBER.fullmatch(cleaned):
        raise InvalidVariant("That is not an item we sell. Choose it again on its product page.")
    return check_variant_id(int(cleaned))


def item_title(product_name: str, variant_name: str) -> str:
    """What a shopper calls a line, e.g. "Organic Cotton Tee (M)"."""
    return f"{product_name} ({variant_name})" if variant_name else product_name


@dataclass(frozen=True)
class StoredCart:
    """A cart as kept in Redis: quantity per variant, and the price the shopper last saw."""

    quantities: Mapping[int, int] = field(default_factory=dict)
    seen_prices: Mapping[int, Money] = field(default_factory=dict)


EMPTY = StoredCart()


def encode(cart: StoredCart) -> dict[str, str]:
    """The Redis hash of a cart: "<variant id>" -> quantity, "price:<variant id>" -> "1999 USD"."""
    fields = {str(variant_id): str(quantity) for variant_id, quantity in cart.quantities.items()}
    for variant_id, price in cart.seen_prices.items():
        if variant_id in cart.quantities:
            fields[f"{PRICE_FIELD}{variant_id}"] = f"{price.amount} {price.currency}"
    return fields


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _price(text: str) -> Money | None:
    amount, _, currency = text.partition(" ")
    try:
        return Money(int(amount), currency)
    except ValueError:
        return None


def decode(fields: Mapping[bytes | str, bytes | str]) -> StoredCart:
    """The cart in a Redis hash written by `encode`; fields of any other shape are skipped."""
    quantities: dict[int, int] = {}
    prices: dict[int, Money] = {}
    for raw_name, raw_value in fields.items():
        name, value = _text(raw_name), _text(raw_value)
        if name.startswith(PRICE_FIELD) and WHOLE_NUMBER.fullmatch(name[len(PRICE_FIELD) :]):
            price = _price(value)
            if price is not None:
                prices[int(name[len(PRICE_FIELD) :])] = price
        elif WHOLE_NUMBER.fullmatch(name) and WHOLE_NUMBER.fullmatch(value) and int(value) > 0:
            quantities[int(name)] = int(value)
    return StoredCart(
        quantities,
        {variant_id: price for variant_id, price in prices.items() if variant_id in quantities},
    )


def add_quantity(
    cart: StoredCart,
    offers: Mapping[int, VariantOffer],
    variant_id: int,
    quantity: int,
    currency: str,
) -> StoredCart:
    """`quantity` more of a variant, remembering the price the shopper sees now.

    Raises ItemNotFound (unknown, not for sale, or priced in another currency than the store's),
    OutOfStock, or CartFull. Stock and the per-line maximum are applied by `reconcile`.
    """
    offer = offers.get(variant_id)
    if offer is None or not offer.for_sale or offer.price.currency != currency:
        raise ItemNotFound("Sorry, that item is not for sale any more.")
    if offer.available <= 0:
        title = item_title(offer.product_name, offer.variant_name)
        raise OutOfStock(f"Sorry, {title} is out of stock.")
    if variant_id not in cart.quantities and len(cart.quantities) >= MAX_LINES:
        raise CartFull(
            f"Your cart can hold up to {MAX_LINES} different items. "
            "Remove something before adding more."
        )
    quantities = {**cart.quantities, variant_id: cart.quantities.get(variant_id, 0) + quantity}
    return StoredCart(quantities, {**cart.seen_prices, variant_id: offer.price})


def set_line_quantity(cart: StoredCart, variant_id: int, quantity: int) -> StoredCart:
    """The cart with a line's quantity changed (0 removes it); raises LineNotFound."""
    if variant_id not in cart.quantities:
        raise LineNotFound("That item is no longer in your cart.")
    if quantity == 0:
        return without(cart, variant_id)
    return StoredCart({**cart.quantities, variant_id: quantity}, cart.seen_prices)


def without(cart: StoredCart, variant_id: int) -> StoredCart:
    """The cart without the variant's line (unchanged if it has none)."""
    return StoredCart(
        {key: value for key, value in cart.quantities.items() if key != variant_id},
        {key: value for key, value in cart.seen_prices.items() if key != variant_id},
    )


def combine(guest: StoredCart, user: StoredCart) -> tuple[StoredCart, tuple[str, ...]]:
    """A guest cart poured into a user's: quantities add; the guest's (newer) seen price wins.

    Lines beyond MAX_LINES are left out, with a notice saying so.
    """
    quantities = dict(user.quantities)
    seen = dict(user.seen_prices)
    left_out = 0
    for variant_id, quantity in guest.quantities.items():
        if variant_id not in quantities and len(quantities) >= MAX_LINES:
            left_out += 1
            continue
        quantities[variant_id] = quantities.get(variant_id, 0) + quantity
        if variant_id in guest.seen_prices:
            seen[variant_id] = guest.seen_prices[variant_id]
    notices = ()
    if left_out:
        notices = (
            f"Your cart can hold up to {MAX_LINES} different items, so {left_out} "
            "from before you logged in could not be added.",
        )
    return StoredCart(quantities, seen), notices


@dataclass(frozen=True)
class CartLine:
    """One variant in the cart, as it is now: its current price, and the units still for sale.

    `variant_name` is empty when the product comes in one variant only; `weight_grams` is the
    weight of one unit.
    """

    variant_id: int
    product_id: int
    merchant_id: int
    merchant_name: str
    product_name: str
    product_slug: str
    variant_name: str
    sku: str
    image_key: str | None
    unit_price: Money
    quantity: int
    available: int
    weight_grams: int

    @property
    def line_total(self) -> Money:
        """Unit price times quantity."""
        return self.unit_price * self.quantity

    @property
    def title(self) -> str:
        """Product and variant name, e.g. "Organic Cotton Tee (M)"."""
        return item_title(self.product_name, self.variant_name)

    @property
    def max_quantity(self) -> int:
        """The most the shopper can set this line to."""
        return min(self.available, MAX_QUANTITY)


def _sum(amounts: list[Money], currency: str) -> Money:
    return Money(sum(amount.amount for amount in amounts), currency)


@dataclass(frozen=True)
class MerchantGroup:
    """The lines of one merchant: they ship together, in one fulfilment."""

    merchant_id: int
    merchant_name: str
    lines: tuple[CartLine, ...]

    @property
    def subtotal(self) -> Money:
        """What this merchant's lines cost, before shipping and tax."""
        return _sum([line.line_total for line in self.lines], self.lines[0].unit_price.currency)

    @property
    def weight_grams(self) -> int:
        """Total weight of every unit in the group."""
        return sum(line.weight_grams * line.quantity for line in self.lines)


@dataclass(frozen=True)
class CartView:
    """A re-checked cart: its lines, and notices saying what changed since last time and why."""

    lines: tuple[CartLine, ...] = ()
    notices: tuple[str, ...] = ()
    default_currency: str = "USD"

    @property
    def groups(self) -> tuple[MerchantGroup, ...]:
        """Lines grouped by merchant, in merchant name order."""
        ordered = sorted(
            self.lines, key=lambda line: (line.merchant_name.casefold(), line.merchant_id)
        )
        groups = []
        for merchant_id, group in groupby(ordered, key=lambda line: line.merchant_id):
            lines = tuple(group)
            groups.append(MerchantGroup(merchant_id, lines[0].merchant_name, lines))
        return tuple(groups)

    @property
    def currency(self) -> str:
        """The currency every line is priced in."""
        return self.lines[0].unit_price.currency if self.lines else self.default_currency

    @property
    def subtotal(self) -> Money:
        """What every line costs, before shipping and tax."""
        return _sum([line.line_total for line in self.lines], self.currency)

    @property
    def count(self) -> int:
        """Units in the cart."""
        return sum(line.quantity for line in self.lines)

    @property
    def is_empty(self) -> bool:
        """Whether the cart has no lines."""
        return not self.lines

    def line(self, variant_id: int) -> CartLine | None:
        """The line of a variant, if the cart has one."""
        return next((line for line in self.lines if line.variant_id == variant_id), None)


@dataclass(frozen=True)
class Reconciled:
    """A stored cart checked against the catalog: what to keep, what to show, what to say."""

    cart: StoredCart
    lines: tuple[CartLine, ...]
    notices: tuple[str, ...]


def _line(offer: VariantOffer, quantity: int) -> CartLine:
    return CartLine(
        variant_id=offer.variant_id,
        product_id=offer.product_id,
        merchant_id=offer.merchant_id,
        merchant_name=offer.merchant_name,
        product_name=offer.product_name,
        product_slug=offer.product_slug,
        variant_name=offer.variant_name,
        sku=offer.sku,
        image_key=offer.image_key,
        unit_price=offer.price,
        quantity=quantity,
        available=offer.available,
        weight_grams=offer.weight_grams,
    )


def _quantity_notice(title: str, wanted: int, available: int) -> str | None:
    if wanted > MAX_QUANTITY and available >= MAX_QUANTITY:
        return (
            f"You can have up to {MAX_QUANTITY} of {title} in your cart; we changed your quantity."
        )
    if available < wanted:
        return f"Only {available} left of {title}; we changed your quantity."
    return None


def reconcile(cart: StoredCart, offers: Mapping[int, VariantOffer], currency: str) -> Reconciled:
    """Check every stored line against the catalog as it is now.

    A variant that is gone, no longer for sale (or priced in another currency than the store's)
    or out of stock is removed; a quantity above the units available (or MAX_QUANTITY) is
    lowered; a price that changed since the shopper saw it is reported, and remembered as seen.
    Each change comes with a notice.
    """
    quantities: dict[int, int] = {}
    seen: dict[int, Money] = {}
    lines: list[CartLine] = []
    notices: list[str] = []
    for variant_id, wanted in cart.quantities.items():
        offer = offers.get(variant_id)
        if offer is None:
            notices.append(GONE)
            continue
        title = item_title(offer.product_name, offer.variant_name)
        if not offer.for_sale or offer.price.currency != currency:
            notices.append(f"{title} is no longer available, so we removed it from your cart.")
            continue
        if offer.available <= 0:
            notices.append(f"{title} is out of stock, so we removed it from your cart.")
            continue
        quantity = min(wanted, offer.available, MAX_QUANTITY)
        notice = _quantity_notice(title, wanted, offer.available)
        if notice:
            notices.append(notice)
        last_seen = cart.seen_prices.get(variant_id)
        if last_seen is not None and last_seen != offer.price:
            notices.append(f"The price of {title} changed from {last_seen} to {offer.price}.")
        quantities[variant_id] = quantity
        seen[variant_id] = offer.price
        lines.append(_line(offer, quantity))
    lines.sort(
        key=lambda line: (
            line.merchant_name.casefold(),
            line.merchant_id,
            line.product_name.casefold(),
            line.variant_name.casefold(),
            line.variant_id,
        )
    )
    return Reconciled(StoredCart(quantities, seen), tuple(lines), tuple(notices))
