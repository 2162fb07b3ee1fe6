"""Demo pictures: distinct, square, stored once, with their WebP copies ready."""

from __future__ import annotations

import hashlib

from PIL import Image

from app.demo import images
from app.demo.generator import IMAGES_PER_LEAF
from app.demo.wordlists import DEPARTMENTS
from app.media import rules

LEAVES = [leaf for department in DEPARTMENTS for leaf in department.leaves]


def test_the_pool_has_a_few_pictures_per_category():
    entries = list(images.pool_entries())

    assert len(entries) == len(LEAVES) * IMAGES_PER_LEAF
    assert 60 <= len(entries) <= 120


def test_pictures_are_square_and_all_different():
    digests = set()
    for department, leaf, number, slot in images.pool_entries():
        picture = images.draw_picture(department, leaf, number, slot)
        assert picture.size == (images.CANVAS, images.CANVAS)
        assert picture.mode == "RGB"
        digests.add(hashlib.sha256(picture.tobytes()).hexdigest())

    assert len(digests) == len(LEAVES) * IMAGES_PER_LEAF


def test_drawing_is_deterministic():
    department = DEPARTMENTS[0]
    leaf = department.leaves[0]

    first = images.draw_picture(department, leaf, 0, 1)
    second = images.draw_picture(department, leaf, 0, 1)

    assert first.tobytes() == second.tobytes()


def test_build_pool_stores_every_picture_once_then_reuses_the_files(tmp_path):
    # when
    pool = images.build_pool(tmp_path)

    # then
    assert set(pool) == {leaf.name for leaf in LEAVES}
    assert all(len(pictures) == IMAGES_PER_LEAF for pictures in pool.values())
    stored = [picture for pictures in pool.values() for picture in pictures]
    assert len({picture.storage_key for picture in stored}) == len(stored)
    for picture in stored:
        assert (picture.width, picture.height) == (images.CANVAS, images.CANVAS)
        folder = tmp_path / rules.key_directory(picture.storage_key)
        assert (folder / "original.jpg").is_file()
        for size, fmt in images.PRERENDERED:
            with Image.open(folder / f"{size}.{fmt}") as copy:
                assert copy.size == (rules.SIZES[size], rules.SIZES[size])

    # when: seeding again
    files = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*.*"))
    again = images.build_pool(tmp_path)

    # then
    assert again == pool
    assert sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*.*")) == files
