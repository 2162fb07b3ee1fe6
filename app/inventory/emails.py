"""The email a merchant gets when a variant's stock falls to its low-stock threshold."""

from __future__ import annotations

from app.inventory.merchant_stock import StockRow
from app.notifications.messages import EmailRequest


def low_stock(
    row: StockRow, available: int, threshold: int, to: str, inventory_url: str
) -> EmailRequest:
    """To the merchant's contact address: `row` fell to `available` units (threshold given)."""
    label = f"{row.product_name} ({row.options})" if row.options else row.product_name
    return EmailRequest(
        template="low_stock",
        to=to,
        subject=f"Low stock: {label}, SKU {row.sku}",
        context={
            "product": row.product_name,
            "options": row.options,
            "sku": row.sku,
            "available": available,
            "threshold": threshold,
            "inventory_url": inventory_url,
        },
    )
