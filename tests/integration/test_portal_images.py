"""A product's images in the portal: upload checks, the resizing job, order, alt text, delete."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app, url_for
from PIL import Image

from app.catalog import images as catalog_images
from app.catalog.models import ProductImage
from app.database import db
from app.media import rules
from jobs.media import make_resized_copies
from tests.support.factories import make_product
from tests.support.portal import make_staff

HTMX = {"HX-Request": "true"}


def picture(size: tuple[int, int] = (400, 300), image_format: str = "JPEG", colour=(200, 40, 40)):
    """An encoded picture of one colour."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=image_format)
    return buffer.getvalue()


def noise(side: int) -> bytes:
    """A PNG of random pixels: about 3 bytes a pixel, whatever the compressor does."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture()
def staff(app, database):
    return make_staff(app, database)


@pytest.fixture()
def product(staff):
    return make_product(merchant=staff.merchant, name="Linen Shirt")


def send(client, url: str, **options):
    """POST, then close the response: the jobs the request queued run then, as after a real
    response is sent."""
    response = client.post(url, **options)
    response.get_data()
    response.close()
    return response


def upload(client, product_id: int, data: bytes, filename: str = "photo.jpg", headers=None):
    return send(
        client,
        f"/portal/products/{product_id}/images",
        data={"image": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        headers=headers or {},
    )


def rows(product_id: int) -> list[ProductImage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(ProductImage)
            .where(ProductImage.product_id == product_id)
            .order_by(ProductImage.position)
        )
    )


def add(product, colour) -> ProductImage:
    """An image added through the service, committed."""
    image = catalog_images.add_image(
        db.session,
        merchant_id=product.merchant_id,
        product_id=product.id,
        file_bytes=picture(colour=colour),
        media_root=media_root(),
    )
    db.session.commit()
    return image


def media_root() -> str:
    return current_app.config["MEDIA_ROOT"]


def key_folder(key: str) -> Path:
    return Path(media_root()) / rules.key_directory(key)


@pytest.mark.parametrize(
    ("image_format", "filename", "extension"),
    [("JPEG", "photo.jpg", "jpg"), ("PNG", "photo.png", "png"), ("WEBP", "photo.webp", "webp")],
)
def test_an_upload_is_stored_and_the_job_makes_every_resized_copy(
    staff, product, image_format, filename, extension
):
    # when: the upload is answered
    response = staff.client.post(
        f"/portal/products/{product.id}/images",
        data={"image": (io.BytesIO(picture((640, 480), image_format)), filename)},
        content_type="multipart/form-data",
    )
    # then: the image is the product's first, its copies still to make
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/portal/products/{product.id}/images")
    [image] = rows(product.id)
    assert (image.width, image.height, image.position) == (640, 480, 0)
    assert image.alt_text == "Linen Shirt"
    assert image.resized_at is None
    # when: the response is sent, the job runs
    response.close()
    # then
    [image] = rows(product.id)
    assert image.resized_at is not None
    folder = key_folder(image.storage_key)
    assert (folder / f"original.{extension}").is_file()
    for size in rules.SIZES:
        for fmt in rules.FORMATS:
            assert (folder / f"{size}.{fmt}").is_file()
    page = staff.client.get(f"/portal/products/{product.id}/images").get_data(as_text=True)
    assert "Image added." in page
    assert "resized copies ready" in page


def test_an_upload_over_the_apps_1_mib_body_limit_is_accepted(app, staff, product):
    data = noise(700)
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]

    response = upload(staff.client, product.id, data, "big.png")

    assert response.status_code == 303
    assert len(rows(product.id)) == 1


def test_other_portal_forms_keep_the_apps_body_limit(staff, product):
    image = add(product, (10, 20, 30))

    response = send(
        staff.client,
        f"/portal/products/{product.id}/images/{image.id}/update",
        data={"alt_text": "x", "filler": (io.BytesIO(b"\0" * 2 * rules.MEBIBYTE), "f.bin")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 413
    assert rows(product.id)[0].alt_text == "Linen Shirt"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (
            b"Just some words, not a picture at all.\n",
            "notes.jpg",
            "The file is not an image we can read.",
        ),
        (b"", "empty.jpg", "Choose an image to upload."),
        (picture((64, 64), "GIF"), "anim.gif", "Upload a JPEG, PNG or WebP image."),
        (
            picture((199, 400)),
            "small.jpg",
            "The image is 199 x 400 pixels; it must be at least 200 x 200.",
        ),
        (
            picture((8001, 200), "PNG"),
            "wide.png",
            "The image is 8001 x 200 pixels; neither side may be more than 8000.",
        ),
    ],
    ids=["text-renamed-jpg", "no-file", "gif", "too-small", "too-wide"],
)
def test_refused_uploads_say_why_next_to_the_field_and_store_nothing(
    app, staff, product, data, filename, message
):
    before = set(Path(app.config["MEDIA_ROOT"]).rglob("original.*"))

    response = upload(staff.client, product.id, data, filename)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="field-error" id="image-file-error" role="alert">{message}</p>' in html
    assert 'aria-describedby="image-file-hint image-file-error"' in html
    assert rows(product.id) == []
    assert set(Path(app.config["MEDIA_ROOT"]).rglob("original.*")) == before


def test_a_file_over_the_limit_gets_the_portal_page_with_a_clear_413(app, staff, product):
    data = picture() + b"\0" * (app.config["IMAGE_UPLOAD_MAX_BYTES"] + 100 * 1024)

    response = upload(staff.client, product.id, data, "huge.jpg")

    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "The file is larger than 10 MB." in html
    assert "Images of Linen Shirt" in html
    assert 'id="image-file"' in html
    assert rows(product.id) == []


def test_a_file_just_over_the_image_limit_is_refused_by_the_check(app, staff, product):
    app.config["IMAGE_UPLOAD_MAX_BYTES"], limit = 100_000, app.config["IMAGE_UPLOAD_MAX_BYTES"]
    try:
        response = upload(staff.client, product.id, noise(200), "noise.png")
    finally:
        app.config["IMAGE_UPLOAD_MAX_BYTES"] = limit

    assert response.status_code == 422
    assert "The image is larger than 0.1 MB." in response.get_data(as_text=True)
    assert rows(product.id) == []


def test_htmx_gets_the_image_block_with_the_reason(staff, product):
    response = upload(staff.client, product.id, b"not a picture", "x.png", headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="image-manager"')
    assert "not an image we can read" in html


def test_a_product_has_at_most_12_images(staff, product):
    for number in range(catalog_images.MAX_IMAGES_PER_PRODUCT):
        add(product, (number, 0, 0))

    response = upload(staff.client, product.id, picture(colour=(0, 0, 255)))

    assert response.status_code == 422
    assert "A product can have at most 12 images." in response.get_data(as_text=True)
    assert len(rows(product.id)) == 12


def test_images_move_up_and_down_and_positions_stay_0_to_n(staff, product):
    first, second, third = (add(product, (n * 80, 0, 0)) for n in range(3))
    base = f"/portal/products/{product.id}/images"

    up = send(staff.client, f"{base}/{third.id}/move", data={"direction": "up"})
    assert up.status_code == 303
    assert [image.id for image in rows(product.id)] == [first.id, third.id, second.id]

    send(staff.client, f"{base}/{first.id}/move", data={"direction": "up"})
    send(staff.client, f"{base}/{second.id}/move", data={"position": "1"})

    ordered = rows(product.id)
    assert [image.id for image in ordered] == [second.id, first.id, third.id]
    assert [image.position for image in ordered] == [0, 1, 2]


def test_a_bad_move_is_refused(staff, product):
    image = add(product, (1, 2, 3))

    response = send(
        staff.client,
        f"/portal/products/{product.id}/images/{image.id}/move",
        data={"position": "first"},
    )

    assert response.status_code == 422
    assert "Give a position of 1 or more." in response.get_data(as_text=True)


def test_htmx_move_swaps_the_list_in_place(staff, product):
    first, second = add(product, (9, 9, 9)), add(product, (99, 99, 99))

    response = send(
        staff.client,
        f"/portal/products/{product.id}/images/{second.id}/move",
        data={"direction": "up"},
        headers=HTMX,
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert html.index(f'id="image-{second.id}"') < html.index(f'id="image-{first.id}"')
    assert 'data-hx-swap-oob="innerHTML"' in html and "Image moved." in html


def test_alt_text_is_saved_and_shown_escaped_in_the_portal_and_storefront(client, staff, product):
    add(product, (5, 5, 5))
    chosen = add(product, (250, 250, 250))
    hostile = "<script>alert(\"x\")</script> & 'friends'"
    url = f"/portal/products/{product.id}/images"
    send(staff.client, f"{url}/{chosen.id}/update", data={"alt_text": hostile})
    send(staff.client, f"{url}/{chosen.id}/move", data={"direction": "up"})

    portal = staff.client.get(url).get_data(as_text=True)
    storefront = client.get(f"/p/{product.slug}").get_data(as_text=True)

    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;friends&#39;"
    assert rows(product.id)[0].alt_text == hostile
    assert "<script>alert" not in portal and escaped in portal
    assert "<script>alert" not in storefront
    main_image = storefront.split('id="product-main-image"')[1].split("</picture>")[0]
    assert chosen.storage_key in main_image
    assert f'alt="{escaped}"' in main_image


def test_the_storefront_card_shows_the_first_image(client, staff, product):
    add(product, (1, 1, 1))
    second = add(product, (2, 2, 2))
    send(
        staff.client,
        f"/portal/products/{product.id}/images/{second.id}/move",
        data={"position": "1"},
    )

    html = client.get(f"/c/{product.category.slug}").get_data(as_text=True)

    card = html.split("Linen Shirt")[0].rsplit("<picture>", 1)[1]
    assert second.storage_key in card


def test_blank_or_long_alt_text_is_refused_and_nothing_is_saved(staff, product):
    image = add(product, (1, 1, 1))
    url = f"/portal/products/{product.id}/images/{image.id}/update"

    blank = send(staff.client, url, data={"alt_text": "   "})
    long = send(staff.client, url, data={"alt_text": "a" * 201})

    assert blank.status_code == 422
    assert "Describe the picture in a few words." in blank.get_data(as_text=True)
    assert f'aria-describedby="alt-{image.id}-hint image-{image.id}-error"' in blank.get_data(
        as_text=True
    )
    assert long.status_code == 422
    assert "200 characters or fewer" in long.get_data(as_text=True)
    assert rows(product.id)[0].alt_text == "Linen Shirt"


def test_an_image_can_show_one_variant(staff, database):
    product = make_product(merchant=staff.merchant, prices=(1000, 1200))
    other = make_product(merchant=staff.merchant)
    image = add(product, (3, 3, 3))
    url = f"/portal/products/{product.id}/images/{image.id}/update"
    variant = product.variants[1]

    chosen = send(staff.client, url, data={"alt_text": "Large", "variant_id": str(variant.id)})
    foreign = send(
        staff.client, url, data={"alt_text": "Other", "variant_id": str(other.variants[0].id)}
    )

    assert chosen.status_code == 303
    assert foreign.status_code == 422
    assert "Choose one of this product&#39;s variants." in foreign.get_data(as_text=True)
    saved = rows(product.id)[0]
    assert (saved.variant_id, saved.alt_text) == (variant.id, "Large")


def test_delete_closes_up_and_keeps_a_file_another_image_uses(staff, product):
    first, second, third = (add(product, (n * 100, 100, 100)) for n in range(3))
    twin = make_product(merchant=staff.merchant, name="Twin")
    shared = add(twin, (100, 100, 100))
    assert shared.storage_key == second.storage_key
    assert len({first.storage_key, second.storage_key, third.storage_key}) == 3
    kept, discarded = second.storage_key, first.storage_key
    base = f"/portal/products/{product.id}/images"

    response = send(staff.client, f"{base}/{second.id}/delete")
    send(staff.client, f"{base}/{first.id}/delete")

    assert response.status_code == 303
    [left] = rows(product.id)
    assert (left.id, left.position) == (third.id, 0)
    assert key_folder(kept).is_dir()
    assert not key_folder(discarded).exists()


def test_staff_of_another_merchant_get_404_for_its_products_and_images(app, database, staff):
    mine = make_product(merchant=staff.merchant)
    other_staff = make_staff(app, database)
    theirs = make_product(merchant=other_staff.merchant)
    their_image = add(theirs, (7, 7, 7))
    base = f"/portal/products/{mine.id}/images/{their_image.id}"

    answers = [
        staff.client.get(f"/portal/products/{theirs.id}/images"),
        upload(staff.client, theirs.id, picture()),
        send(staff.client, f"{base}/update", data={"alt_text": "Mine now"}),
        send(staff.client, f"{base}/move", data={"direction": "down"}),
        send(staff.client, f"{base}/delete"),
    ]

    assert [answer.status_code for answer in answers] == [404] * 5
    assert [(image.id, image.alt_text) for image in rows(theirs.id)] == [
        (their_image.id, theirs.name)
    ]
    assert rows(mine.id) == []


def test_an_oversized_upload_is_refused_before_the_guard_lets_anyone_in(app, database, product):
    data = b"\0" * (app.config["IMAGE_UPLOAD_MAX_BYTES"] + 100 * 1024)
    other = make_staff(app, database)

    anonymous = upload(app.test_client(), product.id, data)
    intruder = upload(other.client, product.id, data)

    assert anonymous.status_code == 302
    assert "/account/login" in anonymous.headers["Location"]
    assert intruder.status_code == 404


def test_htmx_gets_the_image_block_with_the_413_reason(app, staff, product):
    data = b"\0" * (app.config["IMAGE_UPLOAD_MAX_BYTES"] + 100 * 1024)

    response = upload(staff.client, product.id, data, headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="image-manager"')
    assert "The file is larger than 10 MB." in html


def test_the_page_links_back_to_the_products_edit_page(app, staff, product):
    with app.test_request_context():
        edit_url = url_for("portal.products_edit", product_id=product.id)

    html = staff.client.get(f"/portal/products/{product.id}/images").get_data(as_text=True)

    assert f'<a href="{edit_url}">Back to Linen Shirt</a>' in html


def test_a_hostile_product_name_is_escaped_on_the_page_and_as_the_default_alt_text(staff):
    hostile = make_product(merchant=staff.merchant, name='<script>alert(1)</script> & "Co"')
    upload(staff.client, hostile.id, picture())

    html = staff.client.get(f"/portal/products/{hostile.id}/images").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in html
    assert "<h1>Images of &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34;</h1>" in html
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34;"' in html


def test_the_resizing_job_is_idempotent_and_skips_a_deleted_image(staff, product):
    image = add(product, (40, 80, 120))
    folder = key_folder(image.storage_key)
    assert not (folder / "card.webp").exists()

    make_resized_copies(image.id)
    first_run = rows(product.id)[0].resized_at
    (folder / "card.webp").unlink()
    make_resized_copies(image.id)

    assert first_run is not None
    assert rows(product.id)[0].resized_at == first_run
    assert not (folder / "card.webp").exists()
    make_resized_copies(image.id + 1000)


def test_the_media_endpoint_still_makes_a_copy_the_job_has_not(client, staff, product):
    image = add(product, (120, 80, 40))

    response = client.get(f"/media/{image.storage_key}/card.webp")

    assert response.status_code == 200
    assert (key_folder(image.storage_key) / "card.webp").is_file()
    assert rows(product.id)[0].resized_at is None
