"""Media rules that need no disk or database: sizes, formats, keys and derived dimensions."""

from __future__ import annotations

import re

SIZES = {"thumb": 160, "card": 480, "large": 960}
FORMATS = {"webp": "image/webp", "jpg": "image/jpeg"}
UPLOAD_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
KEY_PATTERN = re.compile(r"[0-9a-f]{32}")


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
