"""Demo product pictures drawn with Pillow: a coloured ground, a pattern, a glyph and initials.

Each category gets a few distinct pictures; drawing is deterministic, and originals are stored
content-addressed, so seeding again reuses the files already on disk.
"""

from __future__ import annotations

import colorsys
import io
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from app.demo.generator import IMAGES_PER_LEAF
from app.demo.wordlists import DEPARTMENTS, Department, Leaf
from app.media import services as media

CANVAS = 960
PRERENDERED = (("card", "webp"),)

Point = tuple[float, float]


def rgb(hue: int, saturation: float, lightness: float) -> tuple[int, int, int]:
    """An sRGB colour from hue (degrees), saturation and lightness (0..1)."""
    red, green, blue = colorsys.hls_to_rgb(hue / 360, lightness, saturation)
    return round(red * 255), round(green * 255), round(blue * 255)


def stripes(draw: ImageDraw.ImageDraw, colour: tuple[int, int, int]) -> None:
    """Diagonal stripes."""
    for left in range(-CANVAS, CANVAS, 96):
        right = left + 40
        corners = [(left, 0), (right, 0), (right + CANVAS, CANVAS), (left + CANVAS, CANVAS)]
        draw.polygon(corners, fill=colour)


def dots(draw: ImageDraw.ImageDraw, colour: tuple[int, int, int]) -> None:
    """A grid of dots, every other row shifted."""
    for row, y in enumerate(range(40, CANVAS, 80)):
        for x in range(40 + (row % 2) * 40, CANVAS, 80):
            draw.ellipse((x - 12, y - 12, x + 12, y + 12), fill=colour)


def checks(draw: ImageDraw.ImageDraw, colour: tuple[int, int, int]) -> None:
    """A checkerboard of large squares."""
    for row, y in enumerate(range(0, CANVAS, 120)):
        for column, x in enumerate(range(0, CANVAS, 120)):
            if (row + column) % 2 == 0:
                draw.rectangle((x, y, x + 119, y + 119), fill=colour)


def rings(draw: ImageDraw.ImageDraw, colour: tuple[int, int, int]) -> None:
    """Concentric rings around the centre."""
    centre = CANVAS / 2
    for radius in range(60, CANVAS, 70):
        draw.ellipse(
            (centre - radius, centre - radius, centre + radius, centre + radius),
            outline=colour,
            width=18,
        )


PATTERNS: tuple[Callable[[ImageDraw.ImageDraw, tuple[int, int, int]], None], ...] = (
    stripes,
    dots,
    checks,
    rings,
)


def glyph_shapes(glyph: str) -> list[tuple[str, list[Point] | tuple[float, ...]]]:
    """The drawing of a department's glyph, as (kind, coordinates) pairs on the canvas."""
    shapes: dict[str, list[tuple[str, list[Point] | tuple[float, ...]]]] = {
        "shirt": [
            (
                "polygon",
                [
                    (330, 250),
                    (420, 220),
                    (480, 260),
                    (540, 220),
                    (630, 250),
                    (720, 370),
                    (640, 420),
                    (610, 380),
                    (610, 680),
                    (350, 680),
                    (350, 380),
                    (320, 420),
                    (240, 370),
                ],
            ),
        ],
        "house": [
            ("polygon", [(480, 220), (720, 430), (240, 430)]),
            ("rectangle", (290, 430, 670, 680)),
        ],
        "bolt": [
            (
                "polygon",
                [
                    (540, 210),
                    (320, 490),
                    (460, 490),
                    (400, 720),
                    (650, 400),
                    (510, 400),
                    (600, 210),
                ],
            ),
        ],
        "book": [
            ("rectangle", (300, 230, 660, 690)),
            ("rectangle", (300, 230, 340, 690)),
        ],
        "ball": [("ellipse", (270, 240, 690, 660))],
        "blocks": [
            ("rectangle", (260, 420, 700, 680)),
            ("ellipse", (300, 350, 400, 440)),
            ("ellipse", (430, 350, 530, 440)),
            ("ellipse", (560, 350, 660, 440)),
        ],
    }
    return shapes[glyph]


@cache
def initials_font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font at the size the initials are drawn."""
    return ImageFont.load_default(size=110)


def draw_picture(department: Department, leaf: Leaf, leaf_number: int, slot: int) -> Image.Image:
    """Picture `slot` of a category: its department's hue, a pattern, the glyph, the initials."""
    hue = department.hues[slot % len(department.hues)] + department.leaves.index(leaf) * 10
    lightness = 0.80 if slot % 2 == 0 else 0.68
    ground = rgb(hue, 0.55, lightness)
    image = Image.new("RGB", (CANVAS, CANVAS), ground)
    draw = ImageDraw.Draw(image)
    PATTERNS[(leaf_number + slot) % len(PATTERNS)](draw, rgb(hue, 0.50, lightness - 0.07))
    ink = rgb(hue + 180, 0.45, 0.28)
    draw.ellipse((250, 660, 710, 740), fill=rgb(hue, 0.35, lightness - 0.2))
    for kind, coordinates in glyph_shapes(department.glyph):
        getattr(draw, kind)(coordinates, fill=ink)
    draw.text((CANVAS / 2, 830), leaf.initials, fill=ink, font=initials_font(), anchor="mm")
    return image


def encode(image: Image.Image) -> bytes:
    """The picture as a high-quality JPEG, ready to store as an upload would be."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def pool_entries() -> Iterator[tuple[Department, Leaf, int, int]]:
    """Every picture of the pool: (department, category, category number, slot)."""
    leaf_number = 0
    for department in DEPARTMENTS:
        for leaf in department.leaves:
            for slot in range(IMAGES_PER_LEAF):
                yield department, leaf, leaf_number, slot
            leaf_number += 1


def build_pool(media_root: str | os.PathLike) -> dict[str, list[media.StoredImage]]:
    """Draw, store and pre-render the pool; the stored pictures of each category, by its name.

    Pictures are made on every core; each gets the copy listings show (`PRERENDERED`) made now,
    so the first visit to the demo store does not wait for them.
    """

    def make(entry: tuple[Department, Leaf, int, int]) -> media.StoredImage:
        department, leaf, leaf_number, slot = entry
        stored = media.store_image(
            encode(draw_picture(department, leaf, leaf_number, slot)), media_root=media_root
        )
        for size, fmt in PRERENDERED:
            media.derivative_path(media_root, stored.storage_key, size, fmt)
        return stored

    entries = list(pool_entries())
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as executor:
        stored_images = list(executor.map(make, entries))
    pool: dict[str, list[media.StoredImage]] = {}
    for (_department, leaf, _number, _slot), stored in zip(entries, stored_images, strict=True):
        pool.setdefault(leaf.name, []).append(stored)
    return pool
