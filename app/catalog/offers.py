"""Variant offers: what a cart and checkout read of the catalog (price, seller, units for sale)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from app.catalog.models import Product, ProductImage, ProductStatus, ProductVariant
from app.inventory import services as inventory
from app.merchants.models import Merchant, MerchantStatus
from app.money import Money


@dataclass(frozen=True)
class VariantOffer:
    """A variant as a cart sees it: what it is, who sells it, its price and units for sale.

    `variant_name` is empty when the variant is its product's only one (nothing to choose).
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
    price: Money
    weight_grams: int
    available: int
    for_sale: bool


def _first_image_where(condition: sa.ColumnElement[bool]) -> sa.ScalarSelect[str]:
    """The storage key of the first picture meeting `condition` (the outer row is referenced only
    in the WHERE clause: SQLite cannot resolve outer columns in a subquery's ORDER BY)."""
    return (
        sa.select(ProductImage.storage_key)
        .where(condition)
        .order_by(ProductImage.position, ProductImage.id)
        .limit(1)
        .scalar_subquery()
    )


def variant_offers(session: Session, variant_ids: Collection[int]) -> dict[int, VariantOffer]:
    """The variants with these ids, in one statement; ids that do not exist are left out.

    `for_sale` says whether the product is published and its merchant active; the picture is
    the variant's own if it has one, else the product's first.
    """
    if not variant_ids:
        return {}
    siblings = aliased(ProductVariant)
    sibling_count = (
        sa.select(sa.func.count(siblings.id))
        .where(siblings.product_id == ProductVariant.product_id)
        .scalar_subquery()
    )
    image_key = sa.func.coalesce(
        _first_image_where(ProductImage.variant_id == ProductVariant.id),
        _first_image_where(ProductImage.product_id == ProductVariant.product_id),
    )
    rows = session.execute(
        sa.select(
            ProductVariant.id,
            Product.id,
            Product.merchant_id,
            Merchant.name,
            Product.name,
            Product.slug,
            ProductVariant.name,
            ProductVariant.sku,
            image_key,
            ProductVariant.price_amount,
            ProductVariant.currency,
            ProductVariant.weight_grams,
            inventory.variant_available_units(ProductVariant.id),
            Product.status,
            Merchant.status,
            sibling_count,
        )
        .join(Product, Product.id == ProductVariant.product_id)
        .join(Merchant, Merchant.id == Product.merchant_id)
        .where(ProductVariant.id.in_(sorted(variant_ids)))
    ).all()
    offers = {}
    for (
        variant_id,
        product_id,
        merchant_id,
        merchant_name,
        product_name,
        product_slug,
        variant_name,
        sku,
        image,
        price_amount,
        currency,
        weight_grams,
        available,
        product_status,
        merchant_status,
        variant_count,
    ) in rows:
        offers[variant_id] = VariantOffer(
            variant_id=variant_id,
            product_id=product_id,
            merchant_id=merchant_id,
            merchant_name=merchant_name,
            product_name=product_name,
            product_slug=product_slug,
            variant_name=variant_name if variant_count > 1 else "",
            sku=sku,
            image_key=image,
            price=Money(price_amount, currency),
            weight_grams=weight_grams,
            available=max(int(available), 0),
            for_sale=product_status == ProductStatus.PUBLISHED
            and merchant_status == MerchantStatus.ACTIVE,
        )
    return offers
