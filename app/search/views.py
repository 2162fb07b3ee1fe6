"""Search page: one URL for the full page (no JS, shared links, back button) and htmx fragment."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, request, url_for

from app.database import db
from app.extensions import redis_client
from app.platform.htmx import render_page_or_block
from app.search.cache import ResultCache
from app.search.rules import SORT_LABELS, SearchQuery, parse_search_args
from app.search.services import search_products

bp = Blueprint("search", __name__)

TEMPLATE = "search/results.html"


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
    """The shared search cache, unless SEARCH_CACHE_SECONDS turns it off (0)."""
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
