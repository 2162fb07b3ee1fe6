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


LIMITS = rules.ImageLimits(max_bytes=1000, min_side=200, max_side=8000)


@pytest.mark.parametrize(
    ("size", "expected"),
    [(10 * rules.MEBIBYTE, "10 MB"), (rules.MEBIBYTE // 2, "0.5 MB"), (100_000, "0.1 MB")],
)
def test_megabytes_reads_like_a_limit(size, expected):
    assert rules.megabytes(size) == expected


@pytest.mark.parametrize(
    ("file_size", "problem"),
    [
        (0, "The file is empty."),
        (1, None),
        (1000, None),
        (1001, "The image is larger than 0 MB."),
    ],
)
def test_size_problem(file_size, problem):
    assert rules.size_problem(file_size, LIMITS) == problem


@pytest.mark.parametrize(
    ("width", "height", "problem"),
    [
        (200, 200, None),
        (8000, 8000, None),
        (199, 5000, "The image is 199 x 5000 pixels; it must be at least 200 x 200."),
        (5000, 199, "The image is 5000 x 199 pixels; it must be at least 200 x 200."),
        (8001, 300, "The image is 8001 x 300 pixels; neither side may be more than 8000."),
        (300, 8001, "The image is 300 x 8001 pixels; neither side may be more than 8000."),
    ],
)
def test_dimension_problem(width, height, problem):
    assert rules.dimension_problem(width, height, LIMITS) == problem


def test_any_size_takes_every_picture_up_to_10_mb():
    assert rules.dimension_problem(1, 100_000, rules.ANY_SIZE) is None
    assert rules.size_problem(rules.MAX_UPLOAD_BYTES, rules.ANY_SIZE) is None
    assert rules.size_problem(rules.MAX_UPLOAD_BYTES + 1, rules.ANY_SIZE) is not None


def test_product_images_are_200_to_8000_pixels_a_side_and_10_mb():
    assert rules.PRODUCT_IMAGE_LIMITS == (rules.MAX_UPLOAD_BYTES, 200, 8000)
