"""Media rules: storage keys, known renditions and fitted sizes."""

from __future__ import annotations

import pytest

from app.media import rules

KEY = "0123456789abcdef0123456789abcdef"


def test_a_key_is_32_lowercase_hex_digits():
    assert rules.is_valid_key(KEY)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "..",
        "../../etc/passwd",
        KEY[:-1],
        KEY + "0",
        KEY.upper(),
        KEY[:-1] + "/",
        KEY[:-1] + "g",
        f"{KEY}\n",
        "%2e%2e%2f" + KEY[9:],
    ],
)
def test_anything_else_is_not_a_key(key):
    assert not rules.is_valid_key(key)


def test_storage_key_is_the_start_of_the_digest():
    assert rules.storage_key("ab" * 32) == "ab" * 16


def test_key_folder_is_sharded_by_its_first_two_digits():
    assert rules.key_directory(KEY) == f"01/{KEY}"


@pytest.mark.parametrize(("size", "fmt"), [("thumb", "webp"), ("card", "jpg"), ("large", "webp")])
def test_known_renditions(size, fmt):
    assert rules.is_known_rendition(size, fmt)


@pytest.mark.parametrize(
    ("size", "fmt"), [("huge", "webp"), ("card", "png"), ("", ""), ("card", "JPG")]
)
def test_unknown_renditions(size, fmt):
    assert not rules.is_known_rendition(size, fmt)


@pytest.mark.parametrize(
    ("width", "height", "box", "expected"),
    [
        (800, 800, 480, (480, 480)),
        (1200, 600, 480, (480, 240)),
        (600, 1200, 160, (80, 160)),
        (300, 200, 960, (300, 200)),
        (960, 960, 960, (960, 960)),
        (5000, 3, 160, (160, 1)),
    ],
)
def test_fitted_size_keeps_the_aspect_and_never_enlarges(width, height, box, expected):
    assert rules.fitted_size(width, height, box) == expected
