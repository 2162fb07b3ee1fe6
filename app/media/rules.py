"""Media rules that need no disk or database: sizes, formats, keys and derived dimensions."""

from __future__ import annotations

import re
from typing import NamedTuple

SIZES = {"thumb": 160, "card": 480, "large": 960}
FORMATS = {"webp": "image/webp", "jpg": "image/jpeg"}
UPLOAD_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
KEY_PATTERN = re.compile(r"[0-9a-f]{32}")
MEBIBYTE = 1024 * 1024


class ImageLimits(NamedTuple):
    """How large an upload may be: bytes, and pixels on its shortest and longest side."""

    max_bytes: int = MAX_UPLOAD_BYTES
    min_side: int = 1
    max_side: int | None = None


ANY_SIZE = ImageLimits()
PRODUCT_IMAGE_LIMITS = ImageLimits(max_bytes=MAX_UPLOAD_BYTES, min_side=200, max_side=8000)


def megabytes(size: int) -> str:
    """A byte count in whole (or tenths of) mebibytes, as people read a limit: "10 MB"."""
    return f"{round(size / MEBIBYTE, 1):g} MB"


def size_problem(file_size: int, limits: ImageLimits) -> str | None:
    """Why a file of `file_size` bytes is refused under `limits`, or None when it is not."""
    if file_size == 0:
        return "The file is empty."
    if file_size > limits.max_bytes:
        return f"The image is larger than {megabytes(limits.max_bytes)}."
    return None


def dimension_problem(width: int, height: int, limits: ImageLimits) -> str | None:
    """Why a `width` x `height` picture is refused under `limits`, or None when it is not."""
    if min(width, height) < limits.min_side:
        return (
            f"The image is {width} x {height} pixels; it must be at least "
            f"{limits.min_side} x {limits.min_side}."
        )
    if limits.max_side is not None and max(width, height) > limits.max_side:
        return (
            f"The image is {width} x {height} pixels; neither side may be more than "
            f"{limits.max_side}."
        )
    return None


def is_valid_key(key: str) -> bool:
    """Whether `key` has the shape of a storage key (32 lowercase hex digits), nothing else."""
    return KEY_PATTERN.fullmatch(key) is not None


def is_known_rendition(size: str, fmt: str) -> bool:
    """Whether `size` and `fmt` name a derivative the media endpoint serves."""
    return size in SIZES and fmt in FORMATS


def fitted_size(width: int, height: int, box: int) -> tuple[int, int]:
    """The size of a `width` x `height` image scaled to fit a `box` square, keeping its aspect.

    Images already inside the box keep their size: derivatives are never enlarged.
    """
    if width <= box and height <= box:
        return width, height
    scale = box / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def storage_key(digest: str) -> str:
    """The storage key for an original whose content has the hex SHA-256 `digest`."""
    return digest[:32]


def key_directory(key: str) -> str:
    """The key's folder, relative to the media root, sharded by its first two digits."""
    return f"{key[:2]}/{key}"
