"""Cart services: carts kept in Redis, re-checked against the catalog at every load and change.

A cart is named by a key: "user:<id>" for a signed-in user, "guest:<token>" for a guest (see
`rules.user_cart_key` and `rules.guest_cart_key`). Every function that returns a CartView has
checked each line in one SQL statement, written back what changed (refreshing the cart's
lifetime) and said why in `CartView.notices`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import timedelta
from typing import TypeVar

import redis
from flask import Flask
from sqlalchemy.orm import Session

from app.cart import rules
from app.cart.rules import (
    CartError,
    CartFull,
    CartLine,
    CartView,
    InvalidQuantity,
    InvalidVariant,
    ItemNotFound,
    LineNotFound,
    MerchantGroup,
    OutOfStock,
    StoredCart,
)
from app.catalog.offers import VariantOffer, variant_offers
from app.extensions import redis_client

__all__ = [
    "CartError",
    "CartFull",
    "CartLine",
    "CartStore",
    "CartView",
    "InvalidQuantity",
    "InvalidVariant",
    "ItemNotFound",
    "LineNotFound",
    "MerchantGroup",
    "OutOfStock",
    "add_item",
    "cart_count",
    "cart_store",
    "clear_cart",
    "empty_cart",
    "load_cart",
    "merge_carts",
    "remove_item",
    "set_quantity",
]

Result = TypeVar("Result")
Edit = Callable[[StoredCart, Mapping[int, VariantOffer]], StoredCart]


class CartStore:
    """Carts in Redis: one hash per cart, kept for `lifetime` after its last change.

    `currency` is the store's currency: only variants priced in it can be in a cart.
    """

    def __init__(
        self,
        client: redis.Redis,
        lifetime: timedelta,
        currency: str = "USD",
        prefix: str = "cart:",
    ) -> None:
        self.client = client
        self.lifetime = lifetime
        self.currency = currency
        self.prefix = prefix

    def redis_key(self, key: str) -> str:
        """The Redis key holding the cart `key`."""
        return self.prefix + key

    def read(self, key: str) -> StoredCart:
        """The stored cart (empty when there is none), in one Redis call."""
        return rules.decode(self.client.hgetall(self.redis_key(key)))

    def delete(self, key: str) -> None:
        """Forget the cart."""
        self.client.delete(self.redis_key(key))

    def update(
        self,
        keys: Sequence[str],
        change: Callable[[dict[str, StoredCart]], tuple[dict[str, StoredCart], Result]],
    ) -> Result:
        """Read the carts at `keys`, let `change` work out their new contents, and write those
        that changed in one transaction; returns what `change` returned.

        The keys are watched: when another request changes one of them meanwhile, the whole
        thing runs again on the fresh contents, so no change is ever lost.
        """
        names = {key: self.redis_key(key) for key in keys}

        def attempt(pipe: redis.client.Pipeline) -> Result:
            carts = {key: rules.decode(pipe.hgetall(name)) for key, name in names.items()}
            new, result = change(carts)
            pipe.multi()
            for key, cart in new.items():
                if cart != carts[key]:
                    self._write(pipe, names[key], cart)
            return result

        return self.client.transaction(attempt, *names.values(), value_from_callable=True)

    def _write(self, pipe: redis.client.Pipeline, name: str, cart: StoredCart) -> None:
        pipe.delete(name)
        if cart.quantities:
            pipe.hset(name, mapping=rules.encode(cart))
            pipe.expire(name, self.lifetime)


def cart_store(app: Flask) -> CartStore:
    """The app's cart store, on its Redis, keeping carts CART_LIFETIME_DAYS after each change."""
    store = app.extensions.get("cart_store")
    if store is None:
        store = app.extensions["cart_store"] = CartStore(
            redis_client(app),
            timedelta(days=app.config["CART_LIFETIME_DAYS"]),
            app.config["DEFAULT_CURRENCY"],
        )
    return store


def _change(
    session: Session, store: CartStore, key: str, edit: Edit, also: Collection[int] = ()
) -> CartView:
    """Apply `edit` to the cart with the catalog's view of its lines (and of `also`), then
    re-check every line and store the result."""

    def change(carts: dict[str, StoredCart]) -> tuple[dict[str, StoredCart], CartView]:
        cart = carts[key]
        offers = variant_offers(session, {*cart.quantities, *also})
        checked = rules.reconcile(edit(cart, offers), offers, store.currency)
        return {key: checked.cart}, CartView(checked.lines, checked.notices, store.currency)

    return store.update([key], change)


def empty_cart(store: CartStore) -> CartView:
    """A cart with nothing in it (for a guest who has never added anything)."""
    return CartView((), (), store.currency)


def load_cart(session: Session, store: CartStore, key: str) -> CartView:
    """The cart, every line re-checked for availability, stock and price."""
    return _change(session, store, key, lambda cart, offers: cart)


def add_item(
    session: Session, store: CartStore, key: str, variant_id: int, quantity: int = 1
) -> CartView:
    """Put `quantity` more of a variant in the cart (1 to MAX_QUANTITY).

    Raises InvalidVariant or InvalidQuantity for bad arguments, ItemNotFound when the variant
    is not for sale, OutOfStock when none is left, CartFull when the cart has too many lines.
    A quantity beyond the units available is lowered, with a notice.
    """
    rules.check_variant_id(variant_id)
    rules.check_quantity(quantity, minimum=1)
    return _change(
        session,
        store,
        key,
        lambda cart, offers: rules.add_quantity(cart, offers, variant_id, quantity, store.currency),
        also=(variant_id,),
    )


def set_quantity(
    session: Session, store: CartStore, key: str, variant_id: int, quantity: int
) -> CartView:
    """Change a line's quantity (0 removes it); raises LineNotFound if the cart has no such line."""
    rules.check_variant_id(variant_id)
    rules.check_quantity(quantity, minimum=0)
    return _change(
        session,
        store,
        key,
        lambda cart, offers: rules.set_line_quantity(cart, variant_id, quantity),
    )


def remove_item(session: Session, store: CartStore, key: str, variant_id: int) -> CartView:
    """Take a variant out of the cart (nothing happens if it is not there)."""
    rules.check_variant_id(variant_id)
    return _change(session, store, key, lambda cart, offers: rules.without(cart, variant_id))


def merge_carts(session: Session, store: CartStore, from_key: str, into_key: str) -> CartView:
    """Pour one cart into another (a guest's into the user's at login) and delete the first.

    Quantities add up, capped by the units available; the result is re-checked like any load.
    """
    if from_key == into_key:
        return load_cart(session, store, into_key)

    def change(carts: dict[str, StoredCart]) -> tuple[dict[str, StoredCart], CartView]:
        combined, notices = rules.combine(carts[from_key], carts[into_key])
        offers = variant_offers(session, combined.quantities.keys())
        checked = rules.reconcile(combined, offers, store.currency)
        view = CartView(checked.lines, notices + checked.notices, store.currency)
        return {into_key: checked.cart, from_key: rules.EMPTY}, view

    return store.update([from_key, into_key], change)


def clear_cart(store: CartStore, key: str) -> None:
    """Empty the cart (after an order is placed, say)."""
    store.delete(key)


def cart_count(store: CartStore, key: str) -> int:
    """Units in the cart as stored: one Redis call, no SQL (for the header's mini-cart)."""
    return sum(store.read(key).quantities.values())
