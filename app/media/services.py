"""Media services: validate and store originals, derive resized copies on demand, on disk.

Originals are content-addressed: the storage key is the start of the SHA-256 of the cleaned file,
so the same picture uploaded twice (or shared by demo products) is stored once. A key's folder
holds `original.<ext>` and, next to it, the derivatives made the first time each is asked for.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path
from typing import NamedTuple

from PIL import Image, ImageOps, UnidentifiedImageError

from app.media import rules

ORIGINAL_STEM = "original"
ORIGINAL_SAVE_OPTIONS = {
    "JPEG": {"quality": 90},
    "PNG": {},
    "WEBP": {"quality": 90, "method": 4},
}
DERIVATIVE_SAVE_OPTIONS = {
    "webp": {"format": "WEBP", "quality": 80, "method": 2},
    "jpg": {"format": "JPEG", "quality": 82, "progressive": True, "optimize": True},
}
ORIGINAL_MODES = {
    "JPEG": {"L", "RGB"},
    "PNG": {"1", "L", "LA", "P", "RGB", "RGBA"},
    "WEBP": {"RGB", "RGBA"},
}
BACKGROUND = (255, 255, 255)
TOO_MANY_PIXELS = "The image has too many pixels."


class InvalidImage(ValueError):
    """An upload that is not an image we accept; the message says why, for the uploader."""


class ImageNotFound(LookupError):
    """No stored original (or no such derivative) for that key."""


class StoredImage(NamedTuple):
    """Where an original was stored and its size after orientation was applied."""

    storage_key: str
    width: int
    height: int


def store_image(
    file_bytes: bytes,
    *,
    media_root: str | os.PathLike,
    limits: rules.ImageLimits = rules.ANY_SIZE,
) -> StoredImage:
    """Validate an uploaded image, clean it and store it as an original; return its key and size.

    Rejects anything over `limits.max_bytes` (10 MB unless given), pictures outside the sides
    `limits` allows, anything Pillow cannot read, formats other than JPEG, PNG and WebP (told by
    content, never by name), and decompression bombs (more pixels than `Image.MAX_IMAGE_PIXELS`).
    The picture is turned upright (EXIF orientation) and re-encoded without its metadata (EXIF,
    XMP, text); the colour profile is kept.
    """
    image = open_upload(file_bytes, limits)
    upright = ImageOps.exif_transpose(image)
    data = encode_original(upright, image.format)
    key = rules.storage_key(hashlib.sha256(data).hexdigest())
    folder = Path(media_root) / rules.key_directory(key)
    target = folder / f"{ORIGINAL_STEM}.{rules.UPLOAD_FORMATS[image.format]}"
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(target, data)
    return StoredImage(key, upright.width, upright.height)


def open_upload(file_bytes: bytes, limits: rules.ImageLimits = rules.ANY_SIZE) -> Image.Image:
    """The decoded upload, after every check; raises `InvalidImage` with a message for people.

    Sizes are checked from the header, before anything is decoded.
    """
    if problem := rules.size_problem(len(file_bytes), limits):
        raise InvalidImage(problem)
    try:
        with Image.open(io.BytesIO(file_bytes)) as probe:
            reject_bomb(probe.size)
            if probe.format in rules.UPLOAD_FORMATS and (
                problem := rules.dimension_problem(*probe.size, limits)
            ):
                raise InvalidImage(problem)
            probe.verify()
        image = Image.open(io.BytesIO(file_bytes))
    except Image.DecompressionBombError as error:
        raise InvalidImage(TOO_MANY_PIXELS) from error
    except InvalidImage:
        raise
    except UnidentifiedImageError as error:
        raise InvalidImage("The file is not an image we can read.") from error
    except Exception as error:  # Pillow reports damaged files with many exception types
        raise InvalidImage("The image is damaged or incomplete.") from error
    if image.format not in rules.UPLOAD_FORMATS:
        raise InvalidImage("Upload a JPEG, PNG or WebP image.")
    try:
        image.load()
    except Exception as error:
        raise InvalidImage("The image is damaged or incomplete.") from error
    return image


def reject_bomb(size: tuple[int, int]) -> None:
    """Refuse pictures with more pixels than Pillow's `MAX_IMAGE_PIXELS` (decompression bombs)."""
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and size[0] * size[1] > limit:
        raise InvalidImage(TOO_MANY_PIXELS)


def encode_original(image: Image.Image, image_format: str) -> bytes:
    """The image re-encoded in its own format, with no metadata but its colour profile."""
    options = dict(ORIGINAL_SAVE_OPTIONS[image_format])
    allowed_modes = ORIGINAL_MODES[image_format]
    if image.mode not in allowed_modes:
        image = image.convert("RGBA" if "RGBA" in allowed_modes and has_alpha(image) else "RGB")
    elif icc_profile := image.info.get("icc_profile"):
        options["icc_profile"] = icc_profile  # a profile only describes the mode it came with
    if image_format == "PNG" and "transparency" in image.info:
        options["transparency"] = image.info["transparency"]
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def has_alpha(image: Image.Image) -> bool:
    """Whether the image has transparent parts to care about."""
    return image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info


def derivative_path(media_root: str | os.PathLike, key: str, size: str, fmt: str) -> Path:
    """The file of a resized copy, made (atomically) the first time it is asked for.

    Raises `ImageNotFound` for a malformed key, an unknown size or format, or a missing original.
    """
    if not (rules.is_valid_key(key) and rules.is_known_rendition(size, fmt)):
        raise ImageNotFound(key)
    folder = Path(media_root) / rules.key_directory(key)
    target = folder / f"{size}.{fmt}"
    if target.exists():
        return target
    original = find_original(folder)
    if original is None:
        raise ImageNotFound(key)
    write_atomically(target, render_derivative(original, rules.SIZES[size], fmt))
    return target


def make_derivatives(media_root: str | os.PathLike, key: str) -> list[Path]:
    """Every resized copy of the stored image `key` (each size in each format), made now where
    missing; raises `ImageNotFound` when there is no such original."""
    return [
        derivative_path(media_root, key, size, fmt) for size in rules.SIZES for fmt in rules.FORMATS
    ]


def discard_original(media_root: str | os.PathLike, key: str) -> bool:
    """Remove the stored image `key`, its original and every copy; False when there was none."""
    if not rules.is_valid_key(key):
        return False
    folder = Path(media_root) / rules.key_directory(key)
    if not folder.is_dir():
        return False
    for path in folder.iterdir():
        path.unlink(missing_ok=True)
    folder.rmdir()
    return True


def find_original(folder: Path) -> Path | None:
    """The original stored in a key's folder, if any."""
    for extension in rules.UPLOAD_FORMATS.values():
        candidate = folder / f"{ORIGINAL_STEM}.{extension}"
        if candidate.exists():
            return candidate
    return None


def render_derivative(original: Path, box: int, fmt: str) -> bytes:
    """The original scaled to fit a `box`-pixel square (never enlarged), encoded as `fmt`."""
    with Image.open(original) as image:
        if image.format == "JPEG":
            image.draft("RGB", (box, box))
        image.load()
        picture = flatten(image) if fmt == "jpg" or not has_alpha(image) else image.convert("RGBA")
    target = rules.fitted_size(picture.width, picture.height, box)
    if target != picture.size:
        picture = picture.resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)
    options = dict(DERIVATIVE_SAVE_OPTIONS[fmt])
    if image.mode in {"RGB", "RGBA"} and (icc_profile := image.info.get("icc_profile")):
        options["icc_profile"] = icc_profile
    buffer = io.BytesIO()
    picture.save(buffer, **options)
    return buffer.getvalue()


def flatten(image: Image.Image) -> Image.Image:
    """An RGB copy of the image, transparent parts laid on a white background."""
    if not has_alpha(image):
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, BACKGROUND)
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def write_atomically(target: Path, data: bytes) -> None:
    """Write `data` to `target` so readers see either no file or the whole file."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
