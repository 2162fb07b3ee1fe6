"""Addresses in emails: one line per part, in the country's order, in both bodies."""

from __future__ import annotations

import pytest

from app.notifications.messages import EmailRequest, render_email

ADDRESS = {
    "full_name": "Ann Lee",
    "line1": "1 Main St",
    "line2": "Apt 4",
    "city": "Springfield",
    "region": "IL",
    "postal_code": "62701",
    "country": "US",
    "phone": "",
}
LINES = ["Ann Lee", "1 Main St", "Apt 4", "Springfield, IL 62701", "United States"]
ORDER = {
    "number": "M-1001",
    "order_url": "https://shop.example/orders/M-1001",
    "address": ADDRESS,
    "shipments": [{"merchant": "Juniper", "shipping": "Standard", "lines": []}],
    "totals": [("Total", "$20.00")],
}
MERCHANT = {
    "number": "M-1001",
    "merchant": "Juniper",
    "shipping": "Standard",
    "address": ADDRESS,
    "lines": [],
    "subtotal": "$20.00",
}


@pytest.mark.parametrize(
    ("template", "context", "heading"),
    [
        ("order_confirmation", ORDER, "Shipping to:"),
        ("order_cancelled", {**ORDER, "refund": "$20.00"}, "Shipping to:"),
        ("merchant_new_order", MERCHANT, "Ship to:"),
    ],
)
def test_the_address_is_one_line_per_part_in_both_bodies(app, template, context, heading):
    with app.app_context():
        message = render_email(EmailRequest(template, "ann@example.com", "Order", context))

    assert "\n".join([heading, *LINES]) + "\n" in message.text
    assert f"{heading}<br>" + "<br>".join(LINES) + "</p>" in message.html


def test_a_japanese_address_is_written_as_japan_writes_it(app):
    tokyo = {
        "full_name": "Taro Yamada",
        "line1": "1-2-3 Shibuya",
        "city": "Shibuya-ku",
        "region": "東京都",
        "postal_code": "150-0002",
        "country": "JP",
    }
    with app.app_context():
        message = render_email(
            EmailRequest(
                "order_confirmation", "t@example.com", "Order", {**ORDER, "address": tokyo}
            )
        )

    assert "Taro Yamada\n1-2-3 Shibuya\nShibuya-ku, Tokyo\n150-0002\nJapan\n" in message.text
