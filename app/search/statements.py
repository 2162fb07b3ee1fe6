"""The two SQL statements of a search: built once per shape, run with the search's own values.

A search sends the *tally* statement, then the *page* statement:

- tally: the facet cube of the matching products (one row per category, merchant, price band and
  stock state that has any, with its count) and the names of the categories and merchants in it
  or ticked. The cube does not depend on the filters, so `rules.tally` counts every facet from it
  in Python.
- page: one page of product cards. "Best match" shows the named tier first (products whose name
  holds every word, newest first), then the others by relevance; the others are read only when
  the named tier does not fill the page (their LIMIT is 0 otherwise, so PostgreSQL never runs
  that branch), and the named tier is counted only for a page past its end.

What changes a statement's SQL is its `Shape` (text or not, the sort, which facets filter), so
each shape is built and compiled once per process. The values (text, slugs, bands, limit and
offset) are rendered into the SQL as literals when it runs (`literal_execute`): PostgreSQL always
plans a search with its own words, never with the blind estimates of a generic plan, even once
psycopg prepares a repeated statement. The values are safe to render: the text is made of
letters, digits and query syntax only (rules.parse_text), the slugs match rules.SLUG, the rest
are integers.

Matching rows are read through the text (GIN) indexes, then sorted (`fenced`); the one ordered
index walk is bounded (RECENT_WINDOW).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.catalog.listings import SORTS, listing_query
from app.catalog.models import Category, Product, ProductAttribute
from app.merchants.models import Merchant, MerchantStatus
from app.search import rules
from app.search.backends import NAMED, OTHER, SearchBackend
from app.search.rules import NEWEST, PER_PAGE, PRICE_BOUNDS, RELEVANCE, SearchQuery

CELL, CATEGORY, MERCHANT = "cell", "category", "merchant"
ALL = "all"
DESCENDING = {RELEVANCE: True, NEWEST: True, "price_asc": False, "price_desc": True}
# How many of the newest products a page of the named tier looks at before reading them all.
RECENT_WINDOW = 1000


def value(
    name: str, type_: sa.types.TypeEngine | None = None, expanding: bool = False
) -> sa.BindParameter:
    """A parameter rendered into the SQL as a literal when the statement runs."""
    return sa.bindparam(name, type_=type_, expanding=expanding, literal_execute=True)


@dataclass(frozen=True)
class Shape:
    """What a search statement's SQL depends on (the values travel as parameters)."""

    text: bool
    sort: str
    filters: frozenset[str]
    excluding: bool = False
    attribute_names: int = 0
    scoped: bool = False

    @classmethod
    def of(cls, query: SearchQuery) -> Shape:
        """The shape of a search."""
        attribute_names = len(query.attribute_filters)
        active = {
            "category": bool(query.categories),
            "merchant": bool(query.merchants),
            "band": bool(query.prices),
            "stock": query.in_stock,
            "attribute": attribute_names > 0,
        }
        text = not query.terms.is_empty
        return cls(
            text=text,
            sort=query.sort if text or query.sort != RELEVANCE else NEWEST,
            filters=frozenset(facet for facet, on in active.items() if on),
            excluding=bool(query.terms.excluded),
            attribute_names=attribute_names,
            scoped=bool(query.scope),
        )

    @property
    def counts_attributes(self) -> bool:
        """Whether the facet cube tells products apart by their attributes: on category pages
        (which show attribute facets) and whenever an attribute filters."""
        return self.scoped or self.attribute_names > 0

    @property
    def tiered(self) -> bool:
        """Whether the page shows the named tier before the rest ("Best match" with text)."""
        return self.text and self.sort == RELEVANCE


def parameters(backend: SearchBackend, query: SearchQuery) -> dict[str, object]:
    """The bound parameters of both statements of `query` (its page's limit and offset too)."""
    values: dict[str, object] = {"limit": PER_PAGE, "offset": (query.page - 1) * PER_PAGE}
    if not query.terms.is_empty:
        values.update(backend.text_parameters(query.terms))
    if query.categories:
        values["category_slugs"] = list(query.categories)
    if query.merchants:
        values["merchant_slugs"] = list(query.merchants)
    if query.prices:
        values["bands"] = list(rules.selected_bands(query.prices))
    if query.scope:
        values["scope_ids"] = list(query.scope)
    for index, (name, accepted) in enumerate(query.attribute_filters):
        values[f"attribute_name_{index}"] = name
        values[f"attribute_values_{index}"] = sorted(accepted)
    return values


def scoped(selected: sa.Select, shape: Shape) -> sa.Select:
    """`selected` (a `matches()` SELECT) limited to the scope's categories when it has one."""
    if not shape.scoped:
        return selected
    scope = value("scope_ids", sa.Integer(), expanding=True)
    return selected.where(selected.selected_columns.category_id.in_(scope))


def attribute_list(product_id: sa.ColumnElement[int]) -> sa.ScalarSelect[str]:
    """The product's attributes in one string: name UNIT value, pairs joined by RECORD."""
    unit = sa.bindparam("attribute_unit", rules.UNIT, sa.String(), literal_execute=True)
    return (
        sa.select(
            sa.func.aggregate_strings(
                ProductAttribute.name + unit + ProductAttribute.value, rules.RECORD
            )
        )
        .where(ProductAttribute.product_id == product_id)
        .scalar_subquery()
    )


def attribute_condition(product_id: sa.ColumnElement[int], index: int) -> sa.Exists:
    """The product has one of the accepted values of the index-th ticked attribute name (name
    and values are bound parameters: they are merchants' free text, not slugs)."""
    return sa.exists().where(
        ProductAttribute.product_id == product_id,
        ProductAttribute.name == sa.bindparam(f"attribute_name_{index}", type_=sa.String()),
        ProductAttribute.value.in_(
            sa.bindparam(f"attribute_values_{index}", type_=sa.String(), expanding=True)
        ),
    )


def price_band(price: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    """The index in PRICE_BUCKETS of the bucket a price falls in (see rules.price_band)."""
    return sa.case(
        *(
            (price < sa.literal_column(str(int(bound))), index)
            for index, bound in enumerate(PRICE_BOUNDS)
        ),
        else_=len(PRICE_BOUNDS),
    )


def filter_conditions(source: sa.Subquery, shape: Shape) -> list[sa.ColumnElement[bool]]:
    """The conditions of the active filters over a subquery of `matches()` rows."""
    facets = shape.filters
    conditions: list[sa.ColumnElement[bool]] = [
        attribute_condition(source.c.product_id, index) for index in range(shape.attribute_names)
    ]
    if "category" in facets:
        slugs = value("category_slugs", sa.String(), expanding=True)
        conditions.append(
            source.c.category_id.in_(sa.select(Category.id).where(Category.slug.in_(slugs)))
        )
    if "merchant" in facets:
        slugs = value("merchant_slugs", sa.String(), expanding=True)
        conditions.append(
            source.c.merchant_id.in_(sa.select(Merchant.id).where(Merchant.slug.in_(slugs)))
        )
    if "band" in facets:
        conditions.append(
            price_band(source.c.price_amount).in_(value("bands", sa.Integer(), expanding=True))
        )
    if "stock" in facets:
        conditions.append(source.c.in_stock.is_(sa.true()))
    return conditions


def tally_row(
    kind: str,
    key_id: sa.ColumnElement | None = None,
    merchant_id: sa.ColumnElement | None = None,
    band: sa.ColumnElement | None = None,
    in_stock: sa.ColumnElement | None = None,
    hits: sa.ColumnElement | None = None,
    name: sa.ColumnElement | None = None,
    slug: sa.ColumnElement | None = None,
    context: sa.ColumnElement | None = None,
    attributes: sa.ColumnElement | None = None,
) -> sa.Select:
    """One branch of the tally statement: every row has the same typed columns."""
    columns = {
        "key_id": (key_id, sa.Integer),
        "merchant_id": (merchant_id, sa.Integer),
        "band": (band, sa.Integer),
        "in_stock": (in_stock, sa.Boolean),
        "hits": (hits, sa.Integer),
        "name": (name, sa.String),
        "slug": (slug, sa.String),
        "context": (context, sa.String),
        "attributes": (attributes, sa.String),
    }
    return sa.select(
        sa.literal_column(f"'{kind}'").label("kind"),
        *(
            sa.cast(sa.null() if value is None else value, type_).label(label)
            for label, (value, type_) in columns.items()
        ),
    )


@functools.cache
def tally_statement(backend: SearchBackend, shape: Shape) -> sa.Select:
    """The facet cube and the names of its categories and merchants (and of ticked ones).

    When the shape counts attributes, each product's attribute list is one more dimension of
    the cube (products with the same list share a cell).
    """
    found = scoped(backend.matches(shape.text), shape).subquery("found")
    dimensions = [
        found.c.category_id,
        found.c.merchant_id,
        price_band(found.c.price_amount).label("band"),
        found.c.in_stock,
    ]
    if shape.counts_attributes:
        dimensions.append(attribute_list(found.c.product_id).label("attributes"))
    matched = sa.select(*dimensions).subquery("matched")
    grouped = [matched.c[column.name] for column in dimensions]
    cells = sa.select(*grouped, sa.func.count().label("hits")).group_by(*grouped).cte("cells")
    shown_categories = [Category.id.in_(sa.select(cells.c.category_id))]
    if "category" in shape.filters:
        shown_categories.append(
            Category.slug.in_(value("category_slugs", sa.String(), expanding=True))
        )
    shown_merchants = [Merchant.id.in_(sa.select(cells.c.merchant_id))]
    if "merchant" in shape.filters:
        shown_merchants.append(
            Merchant.slug.in_(value("merchant_slugs", sa.String(), expanding=True))
        )
    parent = aliased(Category)
    branches = [
        tally_row(
            CELL,
            cells.c.category_id,
            cells.c.merchant_id,
            cells.c.band,
            cells.c.in_stock,
            cells.c.hits,
            attributes=cells.c.attributes if shape.counts_attributes else None,
        ),
        tally_row(
            CATEGORY, Category.id, name=Category.name, slug=Category.slug, context=parent.name
        )
        .outerjoin(parent, parent.id == Category.parent_id)
        .where(sa.or_(*shown_categories)),
        tally_row(MERCHANT, Merchant.id, name=Merchant.name, slug=Merchant.slug).where(
            Merchant.status == MerchantStatus.ACTIVE, sa.or_(*shown_merchants)
        ),
    ]
    # The cube is a CTE inside the outer SELECT, so the statement starts with SELECT: category
    # pages read outside a transaction, where anything else counts as a write.
    tally = sa.union_all(*branches).add_cte(cells, nest_here=True).subquery("tally")
    return sa.select(tally)


def sort_column(source: sa.Subquery, sort: str) -> sa.ColumnElement:
    """The column of `matches()` rows a page is ordered by (see DESCENDING for the direction)."""
    if sort == RELEVANCE:
        return source.c.score
    if sort in ("price_asc", "price_desc"):
        return source.c.price_amount
    return source.c.created_at


def keyed(selected: sa.Select, shape: Shape, sort: str, name: str) -> sa.Select:
    """product_id and sort_key of the rows of `selected` (a `matches()` SELECT) that pass the
    shape's filters; nothing else is computed for them (the score only when it is the key)."""
    source = scoped(selected, shape).subquery(f"{name}_matches")
    return sa.select(source.c.product_id, sort_column(source, sort).label("sort_key")).where(
        *filter_conditions(source, shape)
    )


def ordered(
    source: sa.FromClause,
    sort: str,
    tier: int,
    limit: sa.ColumnElement[int],
    offset: sa.ColumnElement[int],
) -> sa.Select:
    """One page's cut of `source` (product_id and sort_key rows) in `sort` order: product_id,
    tier and position (1, 2, ...)."""
    direction = sa.desc if DESCENDING[sort] else sa.asc
    order = (direction(source.c.sort_key), direction(source.c.product_id))
    cut = sa.select(source).order_by(*order).limit(limit).offset(offset).subquery()
    position = sa.func.row_number().over(
        order_by=(direction(cut.c.sort_key), direction(cut.c.product_id))
    )
    return sa.select(
        cut.c.product_id, sa.literal_column(str(tier)).label("tier"), position.label("position")
    )


def fenced(rows: sa.Select, name: str) -> sa.CTE:
    """`rows` as a MATERIALIZED CTE: read once through the text and filter indexes, then sorted.

    Without the fence PostgreSQL may walk an index in page order and test each row until a page
    is full, which is quick only if the matches are spread evenly along that order; words that
    go with a price range or a merchant's age would make it read most of the table.
    """
    return rows.cte(name).prefix_with("MATERIALIZED")


@functools.cache
def page_statement(backend: SearchBackend, shape: Shape) -> sa.Select:
    """The cards of one page, in order (listing columns, then tier and position)."""
    limit, offset = value("limit", sa.Integer()), value("offset", sa.Integer())
    if shape.tiered:
        # The named tier, newest first, is usually found among the newest products: when
        # those hold the whole page, the page is taken from them (the first named products
        # in that order are the first of the whole tier); otherwise the tier is read in full.
        recent = fenced(
            keyed(
                backend.matches(True, NAMED, shape.excluding, newest=RECENT_WINDOW),
                shape,
                NEWEST,
                "recent",
            ),
            "recent",
        )
        named = fenced(
            keyed(backend.matches(True, NAMED, shape.excluding), shape, NEWEST, NAMED), NAMED
        )
        enough = sa.select(sa.func.count()).select_from(recent).scalar_subquery() >= (
            offset + limit
        )
        named_page = sa.union_all(
            ordered(recent, NEWEST, 1, sa.case((enough, limit), else_=0), offset),
            ordered(named, NEWEST, 1, sa.case((enough, 0), else_=limit), offset),
        ).cte("named_page")
        shown = sa.select(sa.func.count()).select_from(named_page).scalar_subquery()
        named_total = sa.select(sa.func.count()).select_from(named).scalar_subquery()
        # Past the named tier's end, the others start where the named ones would have gone on.
        skipped = sa.case((sa.or_(shown > 0, offset == 0), 0), else_=offset - named_total)
        others = keyed(backend.matches(True, OTHER), shape, RELEVANCE, OTHER).subquery(OTHER)
        page = sa.union_all(
            sa.select(named_page), ordered(others, RELEVANCE, 0, limit - shown, skipped)
        ).subquery("page")
    else:
        everything = keyed(backend.matches(shape.text), shape, shape.sort, ALL)
        # Browsing everything with no filter may walk the newest or price index: every row passes.
        source = (
            fenced(everything, ALL) if shape.text or shape.filters else everything.subquery(ALL)
        )
        page = ordered(source, shape.sort, 0, limit, offset).subquery("page")
    return (
        listing_query()
        .join(page, page.c.product_id == Product.id)
        .order_by(page.c.tier.desc(), page.c.position)
    )


@functools.cache
def category_page_statement(backend: SearchBackend, shape: Shape) -> sa.Select:
    """The cards of one page of a category's filtered products, in a catalog sort (the shape's
    sort: newest, price either way or name), ordered like the unfiltered category page."""
    source = scoped(backend.matches(False), shape).subquery("category_matches")
    chosen = sa.select(source.c.product_id).where(*filter_conditions(source, shape))
    return (
        listing_query()
        .where(Product.id.in_(chosen))
        .order_by(*SORTS[shape.sort])
        .limit(value("limit", sa.Integer()))
        .offset(value("offset", sa.Integer()))
    )
