"""The HTML of product cards, built in Python: a listing draws two dozen per page."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from markupsafe import Markup, escape

from app.catalog.services import ProductCard

PRICE_RANGE_NOTE = '<span class="visually-hidden">Price </span>from '


def product_grid(
    cards: Iterable[ProductCard],
    eager: int,
    url_of: Callable[[str], str],
    picture_of: Callable[..., Markup],
) -> Markup:
    """A list of product cards; the first `eager` pictures load at once.

    `url_of(slug)` is a product page's URL and `picture_of(key, alt, size=, loading=)` a
    picture's markup (the storefront's `product_url` and `product_image`).
    """
    items = [
        product_card(
            card,
            url_of(card.slug),
            picture_of(card.image_key, "", size="card", loading="eager" if n < eager else "lazy"),
        )
        for n, card in enumerate(cards)
    ]
    return Markup(f'<ul class="product-grid">\n{"".join(items)}</ul>\n')


def product_card(card: ProductCard, url: str, picture: Markup) -> str:
    """One card: picture and name linked to the product, merchant, price and stock.

    Text that comes from people (names) and the URL are escaped; the price and the stock label
    are made by the app from numbers and fixed words (a currency is three letters).
    """
    note = PRICE_RANGE_NOTE if card.has_price_range else ""
    stock = card.stock
    return (
        f'  <li>\n    <article class="product-card">\n'
        f'      <a href="{escape(url)}">\n        {picture}\n'
        f"        <h3>{escape(card.name)}</h3>\n      </a>\n"
        f'      <p class="merchant">by {escape(card.merchant_name)}</p>\n'
        f'      <p class="price">{note}{card.price.format()}</p>\n'
        f'      <p class="stock stock-{stock.level.value}">{stock.label}</p>\n'
        f"    </article>\n  </li>\n"
    )
