"""The HTML of a responsive product picture, built in Python: listings draw dozens per page."""

from __future__ import annotations

import functools

from markupsafe import Markup, escape

from app.media import rules

DEFAULT_SIZES = "(min-width: 700px) 240px, 50vw"


KEY = "~key~"
ALT = "~alt~"


def picture(frame: tuple[str, str], key: str, alt: str) -> Markup:
    """A `<picture>` of the stored image `key` (a valid storage key) in `frame` (see
    `picture_frame`): WebP for browsers that take it, JPEG otherwise, every size in srcset."""
    before, after = frame
    return Markup(f"{before.replace(KEY, key)}{escape(alt)}{after}")


@functools.lru_cache(maxsize=64)
def picture_frame(
    pattern: str, size: str, sizes: str, loading: str, css_class: str
) -> tuple[str, str]:
    """A picture's markup for any key, split where the alt text goes; built once per options.

    `pattern` is the URL of an image copy with `~key~`, `~size~` and `~fmt~` in place of its
    parts. width/height reserve the (square) box so the page does not shift while it loads;
    the main picture of a page loads eagerly. Listings draw dozens of pictures that differ
    only in key and alt text.
    """

    def url(name: str, fmt: str) -> str:
        return pattern.replace("~size~", name).replace("~fmt~", fmt)

    box = rules.SIZES[size]
    webp = escape(", ".join(f"{url(name, 'webp')} {width}w" for name, width in rules.SIZES.items()))
    jpeg = escape(", ".join(f"{url(name, 'jpg')} {width}w" for name, width in rules.SIZES.items()))
    sizes_attribute = escape(sizes)
    priority = ' fetchpriority="high"' if loading == "eager" else ""
    css = f' class="{escape(css_class)}"' if css_class else ""
    frame = (
        f'<picture><source type="image/webp" srcset="{webp}" sizes="{sizes_attribute}">'
        f'<img src="{escape(url(size, "jpg"))}" srcset="{jpeg}" sizes="{sizes_attribute}" '
        f'width="{box}" height="{box}" loading="{escape(loading)}" decoding="async"{priority} '
        f'alt="{ALT}"{css}></picture>'
    )
    before, after = frame.split(ALT)
    return before, after


def placeholder(
    src: str, alt: str, size: str = "card", loading: str = "lazy", css_class: str = ""
) -> Markup:
    """A neutral picture for a product without one."""
    box = rules.SIZES[size]
    return Markup(
        '<img src="{src}" width="{box}" height="{box}" loading="{loading}" decoding="async" '
        'alt="{alt}"{css}>'
    ).format(
        src=src,
        box=box,
        loading=loading,
        alt=alt,
        css=Markup(f' class="{escape(css_class)}"') if css_class else "",
    )
