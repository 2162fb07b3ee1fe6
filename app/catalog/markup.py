"""The HTML of product cards, built in Python: a listing draws two dozen per page."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from markupsafe import Markup, escape

from app.catalog.listings import ProductCard

PRICE_RANGE_NOTE = '<span class="visually-hidden">Price </span>from '


def product_grid(
    cards: Iterable[ProductCard],
    eager: int,
    url_of: Callable[[str], str],
    eager_picture: Callable[[str | None, str], Markup],
    lazy_picture: Callable[[str | None, str], Markup],
) -> Markup:
    """A list of product cards; the first `eager` pictures load at once.

    `url_of(slug)` is a product page's URL; `eager_picture(key, alt)` and `lazy_picture` draw
    a card's picture, loading at once or when scrolled to.
    """
    items = [
        product_card(
            card,
            url_of(card.slug),
            (eager_picture if n < eager else lazy_picture)(card.image_key, ""),
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
