"""Storefront pages: home, category, product, sitemap."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, url_for
from htmx_flask import request
from markupsafe import Markup, escape

from app.catalog import listings, markup
from app.catalog.seo import product_structured_data
from app.catalog.tree import CategoryNode, category_tree
from app.database import db
from app.media.views import pictures
from app.platform.cache import cached
from app.platform.htmx import render_page_or_block
from app.platform.reads import read_only
from app.platform.templating import slug_url, slug_urls

bp = Blueprint("catalog", __name__)


def nav_categories() -> list[CategoryNode]:
    """The category tree, cached per process for CATALOG_CACHE_SECONDS (a new category shows
    within that time; merchants' product edits never change the tree)."""
    seconds = current_app.config["CATALOG_CACHE_SECONDS"]
    return cached("catalog:tree", seconds, lambda: category_tree(db.session))


@bp.app_template_global()
def product_url(slug: str) -> str:
    """URL of a product page (listings link dozens: see `slug_url`)."""
    return slug_url("catalog.product", slug)


@bp.app_template_global()
def product_grid(cards: list[listings.ProductCard], eager: int = 0) -> Markup:
    """`{{ product_grid(cards, eager=2) }}`: product cards, the first `eager` loading at once."""
    return markup.product_grid(
        cards, eager, slug_urls("catalog.product"), pictures(loading="eager"), pictures()
    )


@bp.app_template_global()
def category_url(slug: str) -> str:
    """URL of a category page (every page's navigation links them all: see `slug_url`); the
    search context serves category pages (they share its facets)."""
    return slug_url("search.category", slug)


@bp.app_template_global()
def category_nav() -> Markup:
    """The header's links to the top-level categories, drawn once per category tree (which
    `nav_categories` keeps for a while) and script root."""
    tree = nav_categories()
    drawn = current_app.extensions.setdefault("category_nav", {})
    script_root = request.script_root
    known = drawn.get(script_root)
    if known is None or known[0] is not tree:
        url_of = slug_urls("search.category")
        links = "".join(
            f'          <li><a href="{escape(url_of(node.slug))}">{escape(node.name)}</a></li>\n'
            for node in tree
        )
        known = drawn[script_root] = (tree, Markup(links))
    return known[1]


@bp.app_context_processor
def navigation() -> dict:
    """`nav_categories()` for the header, cached per process for CATALOG_CACHE_SECONDS."""

    return {"nav_categories": nav_categories, "structured_data": product_structured_data}


@bp.get("/")
@read_only
def home():
    """Home page: featured products, new arrivals and the category tree."""
    return render_template(
        "catalog/home.html",
        featured=listings.featured_products(db.session),
        arrivals=listings.new_arrivals(db.session),
        canonical_url=url_for("catalog.home", _external=True),
    )


@bp.get("/p/<slug>")
@read_only
def product(slug: str):
    """A product page; choosing a variant (GET form, or htmx) updates price, stock and image.

    Never cached: not in the app, and the response has no Last-Modified for a browser to keep
    it by; a merchant's publish, unpublish or price change is on it at the next request."""
    variant_id = request.args.get("variant", type=int)
    try:
        detail = listings.product_detail(db.session, slug, variant_id)
    except listings.ProductNotFound:
        abort(404)
    return render_page_or_block(
        "catalog/product.html",
        "variant_panel",
        detail=detail,
        canonical_url=url_for("catalog.product", slug=slug, _external=True),
    )


@bp.get("/sitemap")
@read_only
def site_map():
    """The sitemap for people: every category, and the pages a shopper may look for."""
    return render_template(
        "catalog/sitemap.html", canonical_url=url_for("catalog.site_map", _external=True)
    )


@bp.get("/sitemap.xml")
@read_only
def sitemap():
    """sitemap.xml of the home page, every category and every visible product."""
    category_slugs, products = listings.sitemap_entries(db.session)
    xml = render_template("catalog/sitemap.xml", category_slugs=category_slugs, products=products)
    return Response(xml, mimetype="application/xml")
