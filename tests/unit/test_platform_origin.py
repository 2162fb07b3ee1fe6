"""The origin check that protects token-less forms from cross-site posts."""

from __future__ import annotations

import pytest

from app.platform.security import same_origin

HOST = "https://shop.example/"


@pytest.mark.parametrize(
    ("origin", "referer", "allowed"),
    [
        ("https://shop.example", None, True),
        ("https://shop.example", "https://evil.example/page", True),
        ("https://evil.example", "https://shop.example/p/tee", False),
        ("http://shop.example", None, False),
        ("https://shop.example:8443", None, False),
        ("null", None, False),
        (None, "https://shop.example/p/tee?variant=3", True),
        (None, "https://evil.example/shop.example", False),
        (None, None, True),
    ],
)
def test_same_origin(origin, referer, allowed):
    assert same_origin(origin, referer, HOST) is allowed
