"""Structured data (schema.org JSON-LD) for product pages."""

from __future__ import annotations

from flask import url_for

from app.catalog.listings import ProductDetail

AVAILABILITY = {True: "https://schema.org/InStock", False: "https://schema.org/OutOfStock"}


def product_structured_data(detail: ProductDetail, url: str) -> dict:
    """A schema.org Product with one Offer per variant."""
    product = detail.product
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.description,
        "url": url,
        "brand": {"@type": "Brand", "name": detail.merchant_name},
        "offers": [
            {
                "@type": "Offer",
                "sku": variant.sku,
                "name": variant.name,
                "price": variant.price.decimal_string(),
                "priceCurrency": variant.currency,
                "availability": AVAILABILITY[detail.stock[variant.id].in_stock],
                "url": f"{url}?variant={variant.id}",
            }
            for variant in detail.variants
        ],
    }
    if product.images:
        data["image"] = [
            url_for("media.image", key=image.storage_key, size="large", fmt="jpg", _external=True)
            for image in product.images
        ]
    return data
