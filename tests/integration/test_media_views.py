"""GET /media/<key>/<size>.<fmt>: derivatives on first request, long caching, 404 for the rest."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import render_template_string
from PIL import Image

from app.media import rules, services

TEMPLATE = "{{ product_image(key, alt, **options) }}"


@pytest.fixture()
def stored(app):
    """A 1200 x 900 JPEG stored in the app's media folder."""
    image = Image.linear_gradient("L").resize((1200, 900)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return services.store_image(buffer.getvalue(), media_root=app.config["MEDIA_ROOT"])


@pytest.mark.parametrize(
    ("size", "box"), [("thumb", (160, 120)), ("card", (480, 360)), ("large", (960, 720))]
)
@pytest.mark.parametrize(("fmt", "mimetype"), [("webp", "image/webp"), ("jpg", "image/jpeg")])
def test_each_size_and_format_is_served(client, stored, size, box, fmt, mimetype):
    response = client.get(f"/media/{stored.storage_key}/{size}.{fmt}")

    assert response.status_code == 200
    assert response.mimetype == mimetype
    with Image.open(io.BytesIO(response.data)) as image:
        assert image.size == box


def test_responses_are_cacheable_for_a_year_and_revalidate_by_etag(client, stored):
    url = f"/media/{stored.storage_key}/card.webp"

    response = client.get(url)
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})

    cache_control = response.headers["Cache-Control"]
    assert "public" in cache_control
    assert "max-age=31536000" in cache_control
    assert "immutable" in cache_control
    assert response.headers["ETag"]
    assert again.status_code == 304
    assert not again.data


def test_the_derivative_is_written_next_to_the_original(app, client, stored):
    client.get(f"/media/{stored.storage_key}/thumb.jpg")

    folder = Path(app.config["MEDIA_ROOT"]) / rules.key_directory(stored.storage_key)
    assert (folder / "original.jpg").is_file()
    assert (folder / "thumb.jpg").is_file()


@pytest.mark.parametrize(
    "path",
    [
        "/media/{key}/huge.webp",
        "/media/{key}/card.png",
        "/media/{key}/card.WEBP",
        "/media/{key}/card",
        "/media/{key}/original.jpg",
        "/media/00000000000000000000000000000000/card.webp",
        "/media/NOT-A-KEY/card.webp",
        "/media/../instance/card.webp",
        "/media/..%2F..%2Fapp/card.webp",
        "/media/%2e%2e/card.webp",
        "/media/{key}/..%2F..%2F..%2Fsecret_key.webp",
    ],
)
def test_unknown_or_malicious_paths_are_not_found(client, stored, path):
    response = client.get(path.format(key=stored.storage_key))

    assert response.status_code == 404


def test_a_nul_byte_in_a_media_path_is_refused(client, stored):
    response = client.get(f"/media/{stored.storage_key}%00/card.webp")

    assert response.status_code == 400


def test_image_url_is_a_template_global(app, stored):
    with app.test_request_context():
        url = render_template_string("{{ image_url(key, 'thumb') }}", key=stored.storage_key)

    assert url == f"/media/{stored.storage_key}/thumb.webp"


def test_product_image_lists_every_size_with_width_descriptors(app, stored):
    with app.test_request_context():
        html = render_template_string(
            TEMPLATE, key=stored.storage_key, alt="Red mug — view 1", options={"size": "card"}
        )

    key = stored.storage_key
    assert "<picture>" in html
    assert (
        f'srcset="/media/{key}/thumb.webp 160w, /media/{key}/card.webp 480w, '
        f'/media/{key}/large.webp 960w"'
    ) in html
    assert f'src="/media/{key}/card.jpg"' in html
    assert f"/media/{key}/large.jpg 960w" in html
    assert 'sizes="(min-width: 700px) 240px, 50vw"' in html
    assert 'width="480" height="480"' in html
    assert 'loading="lazy"' in html
    assert 'decoding="async"' in html
    assert 'alt="Red mug — view 1"' in html
    assert "fetchpriority" not in html


def test_product_image_options(app, stored):
    with app.test_request_context():
        html = render_template_string(
            TEMPLATE,
            key=stored.storage_key,
            alt="Main picture",
            options={"size": "large", "sizes": "100vw", "loading": "eager", "css_class": "hero"},
        )

    assert f'src="/media/{stored.storage_key}/large.jpg"' in html
    assert 'width="960" height="960"' in html
    assert 'sizes="100vw"' in html
    assert 'loading="eager"' in html
    assert 'fetchpriority="high"' in html
    assert 'class="hero"' in html


def test_product_image_without_a_key_is_a_placeholder_with_the_alt_text(app, client):
    with app.test_request_context():
        html = render_template_string(TEMPLATE, key=None, alt='Mug "Blue" & co', options={})

    assert "<picture>" not in html
    assert "/static/img/placeholder." in html
    assert 'alt="Mug &#34;Blue&#34; &amp; co"' in html
    assert 'width="480" height="480"' in html
    placeholder = client.get(html.split('src="')[1].split('"')[0])
    assert placeholder.status_code == 200
    assert placeholder.mimetype == "image/svg+xml"


def test_alt_text_is_escaped(app, stored):
    with app.test_request_context():
        html = render_template_string(
            TEMPLATE, key=stored.storage_key, alt='"><script>alert(1)</script>', options={}
        )

    assert "<script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(("size", "fmt"), [("thumb", "webp"), ("card", "jpg"), ("large", "webp")])
def test_image_url_fast_path_matches_url_for(app, size, fmt):
    from flask import url_for

    from app.media.views import image_url

    key = "0123456789abcdef" * 2
    with app.test_request_context("/"):
        assert image_url(key, size, fmt) == url_for("media.image", key=key, size=size, fmt=fmt)


def test_product_image_of_a_value_that_is_no_storage_key_is_the_placeholder(app):
    with app.test_request_context():
        html = render_template_string(TEMPLATE, key="../etc/passwd", alt="Odd", options={})

    assert "<picture>" not in html
    assert "passwd" not in html
    assert "/static/img/placeholder." in html


def test_pictures_with_different_options_do_not_share_markup(app, stored):
    with app.test_request_context():
        card = render_template_string(TEMPLATE, key=stored.storage_key, alt="A", options={})
        large = render_template_string(
            TEMPLATE, key=stored.storage_key, alt="B", options={"size": "large"}
        )

    assert 'width="480"' in card and 'alt="A"' in card
    assert 'width="960"' in large and 'alt="B"' in large
