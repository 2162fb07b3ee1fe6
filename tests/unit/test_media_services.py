"""Media services on a temporary folder: validating uploads, storing originals, deriving sizes."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageFile, PngImagePlugin

from app.media import rules, services

ORIENTATION = 0x0112
ROTATED_90_CLOCKWISE = 6


def picture_bytes(
    size: tuple[int, int] = (640, 480), image_format: str = "JPEG", mode: str = "RGB", **options
) -> bytes:
    """An encoded test picture with a gradient (so encoders have something to do)."""
    image = Image.linear_gradient("L").resize(size).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG announcing `width` x `height` pixels with (almost) no data: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def stored_original(media_root: Path, key: str) -> Path:
    (original,) = (media_root / rules.key_directory(key)).glob("original.*")
    return original


@pytest.mark.parametrize(
    ("image_format", "extension"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")]
)
def test_store_keeps_an_accepted_format_and_reports_the_size(tmp_path, image_format, extension):
    # given
    upload = picture_bytes((640, 480), image_format)

    # when
    stored = services.store_image(upload, media_root=tmp_path)

    # then
    assert rules.is_valid_key(stored.storage_key)
    assert (stored.width, stored.height) == (640, 480)
    original = stored_original(tmp_path, stored.storage_key)
    assert original.name == f"original.{extension}"
    with Image.open(original) as image:
        assert image.format == image_format
        assert image.size == (640, 480)


def test_the_same_picture_is_stored_once_under_the_same_key(tmp_path):
    upload = picture_bytes()

    first = services.store_image(upload, media_root=tmp_path)
    second = services.store_image(upload, media_root=tmp_path)

    assert first == second
    assert len(list(tmp_path.rglob("original.*"))) == 1


def test_different_pictures_get_different_keys(tmp_path):
    first = services.store_image(picture_bytes((300, 200)), media_root=tmp_path)
    second = services.store_image(picture_bytes((200, 300)), media_root=tmp_path)

    assert first.storage_key != second.storage_key


def test_exif_orientation_is_applied_and_metadata_removed(tmp_path):
    # given: a landscape JPEG whose EXIF says "show me rotated a quarter turn", plus a camera model
    exif = Image.Exif()
    exif[ORIENTATION] = ROTATED_90_CLOCKWISE
    exif[0x0110] = "Secret Camera 3000"
    upload = picture_bytes((400, 200), "JPEG", exif=exif.tobytes())

    # when
    stored = services.store_image(upload, media_root=tmp_path)

    # then: upright (portrait) and no EXIF left
    assert (stored.width, stored.height) == (200, 400)
    with Image.open(stored_original(tmp_path, stored.storage_key)) as image:
        assert image.size == (200, 400)
        assert "exif" not in image.info
        assert not image.getexif()


def test_png_text_chunks_are_removed(tmp_path):
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Jane Doe, 12 Secret Street")
    upload = picture_bytes((120, 80), "PNG", pnginfo=text)

    stored = services.store_image(upload, media_root=tmp_path)

    with Image.open(stored_original(tmp_path, stored.storage_key)) as image:
        assert "Author" not in image.info
    assert b"Secret Street" not in stored_original(tmp_path, stored.storage_key).read_bytes()


def test_colour_profile_is_kept(tmp_path):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = picture_bytes((120, 80), "JPEG", icc_profile=profile)

    stored = services.store_image(upload, media_root=tmp_path)

    with Image.open(stored_original(tmp_path, stored.storage_key)) as image:
        assert image.info.get("icc_profile") == profile


def test_a_cmyk_jpeg_is_stored_as_rgb(tmp_path):
    upload = picture_bytes((120, 80), "JPEG", mode="CMYK")

    stored = services.store_image(upload, media_root=tmp_path)

    with Image.open(stored_original(tmp_path, stored.storage_key)) as image:
        assert image.mode == "RGB"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.7 definitely not a picture", "not an image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not an image"),
        (picture_bytes((64, 64), "GIF", mode="P"), "JPEG, PNG or WebP"),
        (picture_bytes((64, 64), "BMP"), "JPEG, PNG or WebP"),
        (picture_bytes((400, 400), "PNG")[:300], "damaged"),
        (png_header_only(20_000, 20_000), "too many pixels"),
    ],
    ids=["empty", "pdf", "svg", "gif", "bmp", "truncated", "bomb"],
)
def test_uploads_that_are_refused(tmp_path, upload, message):
    with pytest.raises(services.InvalidImage, match=message):
        services.store_image(upload, media_root=tmp_path)
    assert not list(tmp_path.rglob("*.*"))


def test_more_than_10_megabytes_is_refused_before_decoding(tmp_path):
    upload = picture_bytes((32, 32), "PNG") + b"\0" * rules.MAX_UPLOAD_BYTES

    with pytest.raises(services.InvalidImage, match="larger than 10 MB"):
        services.store_image(upload, media_root=tmp_path)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_more_pixels_than_the_pillow_limit_is_refused(tmp_path, monkeypatch):
    # given: a limit the picture exceeds, but by less than the 2x at which Pillow itself raises
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)
    upload = picture_bytes((120, 120), "PNG")

    with pytest.raises(services.InvalidImage, match="too many pixels"):
        services.store_image(upload, media_root=tmp_path)


@pytest.mark.parametrize(
    ("size", "expected"),
    [("thumb", (160, 80)), ("card", (480, 240)), ("large", (960, 480))],
)
@pytest.mark.parametrize(("fmt", "pillow_format"), [("webp", "WEBP"), ("jpg", "JPEG")])
def test_derivatives_fit_their_box_in_their_format(tmp_path, size, expected, fmt, pillow_format):
    stored = services.store_image(picture_bytes((1200, 600)), media_root=tmp_path)

    path = services.derivative_path(tmp_path, stored.storage_key, size, fmt)

    assert path.parent == stored_original(tmp_path, stored.storage_key).parent
    assert path.name == f"{size}.{fmt}"
    with Image.open(path) as image:
        assert image.format == pillow_format
        assert image.size == expected
        assert image.mode == "RGB"


def test_small_originals_are_never_enlarged(tmp_path):
    stored = services.store_image(picture_bytes((300, 200), "PNG"), media_root=tmp_path)

    path = services.derivative_path(tmp_path, stored.storage_key, "large", "webp")

    with Image.open(path) as image:
        assert image.size == (300, 200)


def test_transparency_is_kept_in_webp_and_laid_on_white_in_jpeg(tmp_path):
    transparent = Image.new("RGBA", (200, 200), (255, 0, 0, 0))
    buffer = io.BytesIO()
    transparent.save(buffer, format="PNG")
    stored = services.store_image(buffer.getvalue(), media_root=tmp_path)

    webp = services.derivative_path(tmp_path, stored.storage_key, "thumb", "webp")
    jpeg = services.derivative_path(tmp_path, stored.storage_key, "thumb", "jpg")

    with Image.open(webp) as image:
        assert image.mode == "RGBA"
        assert image.getpixel((10, 10))[3] == 0
    with Image.open(jpeg) as image:
        assert image.mode == "RGB"
        assert all(channel > 245 for channel in image.getpixel((10, 10)))


def test_a_derivative_is_made_once_then_served_from_disk(tmp_path, monkeypatch):
    stored = services.store_image(picture_bytes(), media_root=tmp_path)
    first = services.derivative_path(tmp_path, stored.storage_key, "card", "webp")
    made = first.stat().st_mtime_ns

    def fail(*args, **kwargs):
        raise AssertionError("derivative rendered twice")

    monkeypatch.setattr(services, "render_derivative", fail)
    second = services.derivative_path(tmp_path, stored.storage_key, "card", "webp")

    assert second == first
    assert second.stat().st_mtime_ns == made


@pytest.mark.parametrize(
    ("key", "size", "fmt"),
    [
        ("0" * 32, "card", "webp"),
        ("../../etc", "card", "webp"),
        ("VALID", "card", "webp"),
        (None, "huge", "webp"),
        (None, "card", "png"),
    ],
    ids=["missing-original", "traversal", "malformed", "unknown-size", "unknown-format"],
)
def test_unknown_images_are_not_found(tmp_path, key, size, fmt):
    stored = services.store_image(picture_bytes(), media_root=tmp_path)

    with pytest.raises(services.ImageNotFound):
        services.derivative_path(tmp_path, key or stored.storage_key, size, fmt)


def test_atomic_write_leaves_nothing_behind_when_it_fails(tmp_path, monkeypatch):
    def broken_replace(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(services.os, "replace", broken_replace)
    target = tmp_path / "card.webp"

    with pytest.raises(OSError, match="disk full"):
        services.write_atomically(target, b"data")

    assert list(tmp_path.iterdir()) == []


def test_atomic_write_replaces_the_whole_file(tmp_path):
    target = tmp_path / "card.webp"
    target.write_bytes(b"old and longer")

    services.write_atomically(target, b"new")

    assert target.read_bytes() == b"new"
    assert [path.name for path in tmp_path.iterdir()] == ["card.webp"]


def test_pixel_limits_are_checked_from_the_header_before_decoding(tmp_path, monkeypatch):
    limits = rules.ImageLimits(min_side=200, max_side=1000)
    narrow, wide = picture_bytes((150, 400)), picture_bytes((1001, 400), "PNG")
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded"))

    with pytest.raises(services.InvalidImage, match="must be at least 200 x 200"):
        services.store_image(narrow, media_root=tmp_path, limits=limits)
    with pytest.raises(services.InvalidImage, match="neither side may be more than 1000"):
        services.store_image(wide, media_root=tmp_path, limits=limits)
    assert not list(tmp_path.rglob("*.*"))


def test_a_smaller_byte_limit_is_applied(tmp_path):
    upload = picture_bytes((400, 400), "PNG")
    limits = rules.ImageLimits(max_bytes=len(upload) - 1)

    with pytest.raises(services.InvalidImage, match="larger than"):
        services.store_image(upload, media_root=tmp_path, limits=limits)


def test_make_derivatives_renders_every_size_and_format(tmp_path):
    stored = services.store_image(picture_bytes((1200, 600)), media_root=tmp_path)

    paths = services.make_derivatives(tmp_path, stored.storage_key)

    assert sorted(path.name for path in paths) == sorted(
        f"{size}.{fmt}" for size in rules.SIZES for fmt in rules.FORMATS
    )
    for path in paths:
        with Image.open(path) as image:
            assert max(image.size) == rules.SIZES[path.stem]


def test_make_derivatives_of_a_missing_original_is_not_found(tmp_path):
    with pytest.raises(services.ImageNotFound):
        services.make_derivatives(tmp_path, "0" * 32)


def test_discard_original_removes_the_folder_and_its_copies(tmp_path):
    stored = services.store_image(picture_bytes(), media_root=tmp_path)
    services.make_derivatives(tmp_path, stored.storage_key)

    assert services.discard_original(tmp_path, stored.storage_key)
    assert not (tmp_path / rules.key_directory(stored.storage_key)).exists()
    assert not services.discard_original(tmp_path, stored.storage_key)
    assert not services.discard_original(tmp_path, "../../etc")
