"""Product images at several sizes: /media/<key>/<size>.<fmt>, made on first request, cached."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, send_file, url_for
from markupsafe import Markup

from app.extensions import limiter
from app.media import markup, rules, services
from app.platform.templating import built_once, static_url

bp = Blueprint("media", __name__, url_prefix="/media")

ONE_YEAR = 31536000


@bp.get("/<key>/<size>.<fmt>")
@limiter.exempt
def image(key: str, size: str, fmt: str):
    """A resized copy of a stored image, cacheable for a year (its URL never changes meaning)."""
    try:
        path = services.derivative_path(current_app.config["MEDIA_ROOT"], key, size, fmt)
    except services.ImageNotFound:
        abort(404)
    response = send_file(
        path, mimetype=rules.FORMATS[fmt], max_age=ONE_YEAR, etag=True, conditional=True
    )
    response.cache_control.immutable = True
    return response


def url_pattern() -> str:
    """The URL of an image copy, with `~key~`, `~size~` and `~fmt~` to fill in.

    Listings show hundreds of image URLs, so the route is built once (per script root).
    """
    return built_once(
        ("media", "image"), lambda: url_for("media.image", key="~key~", size="~size~", fmt="~fmt~")
    )


@bp.app_template_global()
def image_url(key: str, size: str, fmt: str = "webp") -> str:
    """URL of the `size` copy of the stored image `key` in format `fmt` ("webp" or "jpg")."""
    if not (rules.is_valid_key(key) and rules.is_known_rendition(size, fmt)):
        return url_for("media.image", key=key, size=size, fmt=fmt)
    return url_pattern().replace("~key~", key).replace("~size~", size).replace("~fmt~", fmt)


@bp.app_template_global()
def product_image(
    key: str | None,
    alt: str,
    size: str = "card",
    sizes: str = markup.DEFAULT_SIZES,
    loading: str = "lazy",
    css_class: str = "",
) -> Markup:
    """`{{ product_image(key, alt, size=..., loading=...) }}`: a responsive picture of the stored
    image `key`, or a neutral placeholder when the product has none (or the key is not one)."""
    return pictures(size, sizes, loading, css_class)(key, alt)


def pictures(
    size: str = "card",
    sizes: str = markup.DEFAULT_SIZES,
    loading: str = "lazy",
    css_class: str = "",
) -> Callable[[str | None, str], Markup]:
    """`product_image` with its options fixed: `draw(key, alt)`, for drawing many alike."""
    frame = markup.picture_frame(url_pattern(), size, sizes, loading, css_class)

    def draw(key: str | None, alt: str) -> Markup:
        if not key or not rules.is_valid_key(key):
            src = static_url("img/placeholder.svg")
            return markup.placeholder(src, alt, size, loading, css_class)
        return markup.picture(frame, key, alt)

    return draw
