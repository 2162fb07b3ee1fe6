"""Search and category pages: one URL for the full page (no JS, shared links, back button) and
the htmx fragment of its results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, redirect, request, url_for
from markupsafe import Markup

from app.catalog import listings
from app.catalog.tree import CategoryNotFound
from app.catalog.views import category_url, nav_categories
from app.database import db
from app.extensions import redis_client
from app.platform.cache import cached
from app.platform.htmx import render_page_or_block
from app.platform.reads import read_only
from app.search import markup
from app.search.cache import ResultCache
from app.search.rules import SORT_LABELS, SearchQuery, parse_search_args
from app.search.services import (
    CategoryResults,
    Facets,
    PageOutOfRange,
    category_results,
    search_products,
)

bp = Blueprint("search", __name__)

TEMPLATE = "search/results.html"


@bp.app_template_global()
def facet_fieldsets(facets: Facets, show_categories: bool = True) -> Markup:
    """`{{ facet_fieldsets(facets) }}`: the facet checkboxes of a results form."""
    return markup.facet_fieldsets(facets, show_categories)


@bp.get("/search")
def search():
    """Search results; an htmx request (not a history restore) gets only the results block."""
    results = search_products(db.session, parse_search_args(request.args), result_cache())
    context = {
        "results": results,
        "query": results.query,
        "sort_labels": SORT_LABELS,
        "search_url": search_url,
        "page_url": page_urls(results.query),
    }
    return render_page_or_block(TEMPLATE, "results", **context)


def result_cache() -> ResultCache | None:
    """The shared search cache, unless SEARCH_CACHE_SECONDS turns it off (0): a search's facet
    counts and page of ids are reused for that long. Cards are re-read each time among visible
    products, so an unpublished product leaves the results at once; a newly published one, or a
    price change's effect on the order and the price facets, shows within SEARCH_CACHE_SECONDS."""
    seconds = current_app.config["SEARCH_CACHE_SECONDS"]
    return ResultCache(redis_client(current_app), seconds) if seconds > 0 else None


def search_url(query: SearchQuery, **changes: object) -> str:
    """The URL of `query` with `changes` (e.g. another page, a filter removed)."""
    return url_for("search.search", **query.to_args(**changes))


def page_urls(query: SearchQuery) -> Callable[[int], str]:
    """The URL of each page of `query`'s results: its first page's URL, plus `page` (which
    SearchQuery.to_args puts last), built once for all the pagination links."""
    first = search_url(query, page=1)
    separator = "&" if "?" in first else "?"
    return lambda number: first if number == 1 else f"{first}{separator}page={number}"


@bp.get("/c/<slug>")
@read_only
def category(slug: str):
    """A category's products with the search facets, sortable and paged; htmx swaps just the
    results. A page past the last redirects to the last page."""
    query = replace(parse_search_args(request.args), sort=request.args.get("sort", ""))
    try:
        results = category_results(
            db.session, slug, query, nav_categories(), category_facets_cache(slug)
        )
    except CategoryNotFound:
        abort(404)
    except PageOutOfRange as past_end:
        return redirect(category_page_urls(slug, past_end.query)(past_end.last))
    return render_page_or_block(
        "catalog/category.html",
        "results",
        results=results,
        listing=results.listing,
        query=results.query,
        facet_checkboxes=category_facet_checkboxes(slug, results),
        sort_labels=listings.SORT_LABELS,
        canonical_url=canonical_category_url(results),
        page_url=category_page_urls(slug, results.query),
        clear_url=clear_filters_url(slug, results.query),
    )


def clear_filters_url(slug: str, query: SearchQuery) -> str | None:
    """The URL of the category's first page in the query's sort with no filters (None when no
    filter is on: there is nothing to clear)."""
    if not query.has_filters:
        return None
    cleared = replace(query, categories=(), merchants=(), prices=(), in_stock=False, attributes=())
    return category_page_urls(slug, cleared)(1)


def category_facet_checkboxes(slug: str, results: CategoryResults) -> Markup:
    """The facet checkboxes of a category page. An unfiltered page's facets are one cached
    object for a while, so their markup is drawn once per object too."""
    facets = results.facets

    def draw() -> Markup:
        return markup.facet_fieldsets(facets, show_categories=len(facets.categories) > 1)

    if results.query.has_filters:
        return draw()
    drawn = current_app.extensions.setdefault("category_facet_checkboxes", {})
    known = drawn.get(slug)
    if known is None or known[0] is not facets:
        known = drawn[slug] = (facets, draw())
    return known[1]


def category_facets_cache(slug: str) -> Callable[[Callable[[], Facets]], Facets]:
    """Keeps an unfiltered category's facets per process for CATALOG_CACHE_SECONDS, like the
    category tree (every page and sort of the category shares them). A merchant's publish,
    unpublish or price change shows in these counts within that lifetime; the cards and the
    total beside them are read fresh on every request."""
    seconds = current_app.config["CATALOG_CACHE_SECONDS"]
    return lambda produce: cached(f"catalog:facets:{slug}", seconds, produce)


def category_page_urls(slug: str, query: SearchQuery) -> Callable[[int], str]:
    """`page_url(number)` for a category's pages with the query's filters and sort: the page
    first, then the sort, then the filters (the first page and the default sort stay bare).
    The query string after the page is encoded once for all the page links."""
    base = category_url(slug)
    args = query.to_args(page=1, sort=listings.DEFAULT_SORT)
    sort = [] if query.sort == listings.DEFAULT_SORT else [("sort", query.sort)]
    rest = urlencode(
        sort + [(key, value) for key, values in args.items() for value in as_list(values)]
    )

    def page_url(number: int) -> str:
        page = f"page={number}" if number > 1 else ""
        encoded = f"{page}&{rest}" if page and rest else page or rest
        return f"{base}?{encoded}" if encoded else base

    return page_url


def as_list(values: str | list[str]) -> list[str]:
    """A query-string value as a list of values."""
    return values if isinstance(values, list) else [values]


def canonical_category_url(results: CategoryResults) -> str:
    """Canonical URL of a category page: page 2+ keeps its page number, sort and filters never
    do."""
    page = results.listing.products.page
    args = {"page": page} if page > 1 else {}
    return url_for("search.category", slug=results.listing.category.slug, _external=True, **args)
