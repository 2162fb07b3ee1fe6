"""Test data built through the real services (so derived fields stay right)."""

from __future__ import annotations

import itertools

from app.catalog import authoring
from app.catalog.models import Category, Product
from app.database import db
from app.inventory import services as inventory
from app.inventory.models import StockReason
from app.merchants.models import Merchant
from app.merchants.services import create_merchant

_sequence = itertools.count(1)


def make_merchant(name: str | None = None, approved: bool = True) -> Merchant:
    """An active merchant (pending when `approved=False`)."""
    number = next(_sequence)
    return create_merchant(db.session, name or f"Merchant {number}", approved=approved)


def make_category(name: str | None = None, parent: Category | None = None) -> Category:
    """A category, top-level unless `parent` is given."""
    return authoring.create_category(db.session, name or f"Category {next(_sequence)}", parent)


def make_product(
    *,
    merchant: Merchant | None = None,
    category: Category | None = None,
    name: str | None = None,
    description: str = "A fine thing.",
    prices: tuple[int, ...] = (1999,),
    stock: int | tuple[int, ...] = 10,
    options: tuple[dict[str, str], ...] | None = None,
    attributes: dict[str, str] | None = None,
    published: bool = True,
    featured: bool = False,
) -> Product:
    """A product with one variant per price and `stock` units on each (or per variant)."""
    number = next(_sequence)
    merchant = merchant or make_merchant()
    category = category or make_category()
    option_sets = options or tuple(
        {} if len(prices) == 1 else {"Size": f"S{i}"} for i in range(len(prices))
    )
    specs = [
        authoring.VariantSpec(
            sku=f"SKU-{number}-{index}", price_amount=price, options=option_sets[index]
        )
        for index, price in enumerate(prices)
    ]
    product = authoring.create_product(
        db.session,
        merchant_id=merchant.id,
        category_id=category.id,
        name=name or f"Product {number}",
        description=description,
        variants=specs,
        attributes=attributes,
        published=published,
        featured=featured,
    )
    units = stock if isinstance(stock, tuple) else (stock,) * len(specs)
    for variant, on_hand in zip(product.variants, units, strict=True):
        inventory.set_stock(
            db.session,
            variant_id=variant.id,
            product_id=product.id,
            on_hand=on_hand,
            reason=StockReason.IMPORT,
        )
    db.session.commit()
    return product
