"""The HTML of a responsive product picture, built in Python: listings draw dozens per page."""

from __future__ import annotations

from markupsafe import Markup, escape

from app.media import rules

DEFAULT_SIZES = "(min-width: 700px) 240px, 50vw"


def picture(
    urls: dict[tuple[str, str], str],
    alt: str,
    size: str = "card",
    sizes: str = DEFAULT_SIZES,
    loading: str = "lazy",
    css_class: str = "",
) -> Markup:
    """A `<picture>`: WebP for browsers that take it, JPEG otherwise, every size in srcset.

    `urls` maps (size, format) to the URL of that copy; width/height reserve the (square) box
    so the page does not shift while it loads; the main picture of a page loads eagerly.
    """
    box = rules.SIZES[size]
    webp = escape(
        ", ".join(f"{urls[name, 'webp']} {width}w" for name, width in rules.SIZES.items())
    )
    jpeg = escape(", ".join(f"{urls[name, 'jpg']} {width}w" for name, width in rules.SIZES.items()))
    sizes_attribute = escape(sizes)
    priority = ' fetchpriority="high"' if loading == "eager" else ""
    css = f' class="{escape(css_class)}"' if css_class else ""
    return Markup(
        f'<picture><source type="image/webp" srcset="{webp}" sizes="{sizes_attribute}">'
        f'<img src="{escape(urls[size, "jpg"])}" srcset="{jpeg}" sizes="{sizes_attribute}" '
        f'width="{box}" height="{box}" loading="{escape(loading)}" decoding="async"{priority} '
        f'alt="{escape(alt)}"{css}></picture>'
    )


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
