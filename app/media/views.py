"""Product images at several sizes: /media/<key>/<size>.<fmt>, made on first request, cached."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, send_file, url_for

from app.extensions import limiter
from app.media import rules, services

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


@bp.app_template_global()
def image_url(key: str, size: str, fmt: str = "webp") -> str:
    """URL of the `size` copy of the stored image `key` in format `fmt` ("webp" or "jpg").

    Listings show hundreds of these, so the route is built once per request and filled in.
    """
    if "media_url_pattern" not in g:
        g.media_url_pattern = url_for("media.image", key="~key~", size="~size~", fmt="~fmt~")
    if not (rules.is_valid_key(key) and rules.is_known_rendition(size, fmt)):
        return url_for("media.image", key=key, size=size, fmt=fmt)
    pattern = g.media_url_pattern
    return pattern.replace("~key~", key).replace("~size~", size).replace("~fmt~", fmt)


@bp.app_template_global()
def image_srcset(key: str, fmt: str = "webp") -> str:
    """A `srcset` listing every size of the stored image `key` with its width descriptor."""
    return ", ".join(f"{image_url(key, size, fmt)} {width}w" for size, width in rules.SIZES.items())


@bp.app_template_global()
def image_width(size: str) -> int:
    """The nominal width (and height) in pixels of the `size` copy: the box it is fitted into."""
    return rules.SIZES[size]
