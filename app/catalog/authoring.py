"""Catalog authoring: what creates and changes products and categories (the merchant portal,
catalogue imports, the demo seeder)."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.catalog import rules
from app.catalog.models import (
    Category,
    Product,
    ProductAttribute,
    ProductStatus,
    ProductVariant,
    VariantOption,
)
from app.catalog.tree import CategoryNotFound, category_path


@dataclass(frozen=True)
class VariantSpec:
    """What it takes to create a variant."""

    sku: str
    price_amount: int
    options: dict[str, str] = field(default_factory=dict)
    name: str = ""
    weight_grams: int = 0


def create_category(
    session: Session, name: str, parent: Category | None = None, description: str = ""
) -> Category:
    """Add a category (a child of `parent` when given) with a unique slug."""
    category = Category(
        name=name,
        slug=unique_slug(session, Category, name),
        parent=parent,
        description=description,
    )
    session.add(category)
    session.flush()
    return category


def create_product(
    session: Session,
    *,
    merchant_id: int,
    category_id: int,
    name: str,
    description: str,
    variants: list[VariantSpec],
    attributes: dict[str, str] | None = None,
    published: bool = True,
    featured: bool = False,
    currency: str = "USD",
) -> Product:
    """Create a product with its variants and attributes; price and search text are derived."""
    if not variants:
        raise ValueError("a product needs at least one variant")
    category = session.get(Category, category_id)
    if category is None:
        raise CategoryNotFound(str(category_id))
    attribute_pairs = list((attributes or {}).items())
    option_pairs = [pair for spec in variants for pair in spec.options.items()]
    product = Product(
        merchant_id=merchant_id,
        category_id=category_id,
        root_category_id=category.parent_id or category.id,
        name=name,
        slug=unique_slug(session, Product, name),
        description=description,
        status=ProductStatus.PUBLISHED if published else ProductStatus.DRAFT,
        is_featured=featured,
        currency=currency,
        price_amount=rules.lowest_price(spec.price_amount for spec in variants),
        search_text=rules.search_text(
            attribute_pairs, option_pairs, category_path(session, category)
        ),
    )
    product.attributes = [
        ProductAttribute(name=key, value=value, position=index)
        for index, (key, value) in enumerate(attribute_pairs)
    ]
    product.variants = [
        build_variant(spec, index, currency, merchant_id) for index, spec in enumerate(variants)
    ]
    session.add(product)
    session.flush()
    return product


def build_variant(
    spec: VariantSpec, position: int, currency: str, merchant_id: int
) -> ProductVariant:
    """A variant row (not yet added) from its spec."""
    return ProductVariant(
        merchant_id=merchant_id,
        sku=spec.sku,
        name=spec.name or rules.variant_name(spec.options.values()),
        price_amount=spec.price_amount,
        currency=currency,
        weight_grams=spec.weight_grams,
        position=position,
        options=[
            VariantOption(name=key, value=value, position=index)
            for index, (key, value) in enumerate(spec.options.items())
        ],
    )


def unique_slug(session: Session, model: type, text: str) -> str:
    """A slug for `text` not yet used by `model`, suffixed -2, -3... when needed."""
    base = rules.slugify(text)
    taken = set(
        session.scalars(
            sa.select(model.slug).where(sa.or_(model.slug == base, model.slug.like(f"{base}-%")))
        )
    )
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"
