"""Product search: full-text matching, facet counts, sorting, pages and spelling correction.

Facet counts follow the usual faceted-search rule: **each facet's counts apply every active filter
except the facet's own**. Values within one facet are alternatives (two ticked categories show the
products of either), facets combine with AND, so a count says how many results there would be if
that value were ticked too (or instead, for an already ticked facet). The total is the number of
products matching every filter.

A search costs two queries whatever it shows: one statement reads the matching products once and
returns every facet count, the total and the ids of the page asked for; a second draws those
products' cards. When the text finds nothing, a query or two look for spelling corrections and,
if there are some, the first statement runs again for the corrected text; a page past the last
runs it again for the last page. Outcomes can be kept for a few seconds in a `ResultCache`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from app.catalog.models import Category, Product
from app.catalog.services import ProductCard, cards_from_rows, listing_query, visible_products
from app.inventory.models import StockItem
from app.inventory.services import in_stock_condition
from app.merchants.models import Merchant, MerchantStatus
from app.platform.pagination import Page
from app.search import rules
from app.search.backends import SearchBackend, TextMatch, backend_for
from app.search.cache import ResultCache
from app.search.rules import PER_PAGE, PRICE_BUCKETS, RELEVANCE, SearchQuery

CATEGORY_FACET_SIZE = 20
MERCHANT_FACET_SIZE = 15
CATEGORY, MERCHANT, PRICE, STOCK, TOTAL, PAGE = (
    "category",
    "merchant",
    "price",
    "stock",
    "total",
    "page",
)


@dataclass(frozen=True)
class FacetValue:
    """One choice of a facet: the value sent back in the URL, what it is called, how many match."""

    value: str
    label: str
    count: int
    selected: bool
    context: str = ""


@dataclass(frozen=True)
class Facets:
    """Every facet of a search, its values ordered for display."""

    categories: list[FacetValue]
    merchants: list[FacetValue]
    prices: list[FacetValue]
    in_stock: FacetValue


@dataclass(frozen=True)
class SearchResults:
    """A page of results with its facets; `corrected_text` is set when spelling was corrected."""

    query: SearchQuery
    products: Page[ProductCard]
    facets: Facets
    corrected_text: str | None = None

    @property
    def matched_text(self) -> str:
        """The text the results are for: the correction when there is one."""
        return self.corrected_text or self.query.text


@dataclass(frozen=True)
class Matches:
    """What the search statement returns: the total, raw facet rows and one page of product ids."""

    total: int
    rows: list[sa.Row]
    page_ids: list[int]


@dataclass(frozen=True)
class Outcome:
    """Everything a search decides before the cards are drawn (what the cache keeps)."""

    page: int
    total: int
    page_ids: list[int]
    facets: Facets
    corrected_text: str | None

    def to_json(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Outcome:
        """The outcome `to_json` described."""
        facets = data["facets"]
        return cls(
            page=data["page"],
            total=data["total"],
            page_ids=data["page_ids"],
            facets=Facets(
                categories=[FacetValue(**value) for value in facets["categories"]],
                merchants=[FacetValue(**value) for value in facets["merchants"]],
                prices=[FacetValue(**value) for value in facets["prices"]],
                in_stock=FacetValue(**facets["in_stock"]),
            ),
            corrected_text=data["corrected_text"],
        )


def search_products(
    session: Session, query: SearchQuery, cache: ResultCache | None = None
) -> SearchResults:
    """Search the visible products: a page of cards, facet counts and any spelling correction.

    With a `cache`, the same search within its lifetime reuses the counts and the page's ids;
    the cards (price, stock) are read fresh every time.
    """
    key = ResultCache.key(["products", query.to_args()]) if cache else None
    stored = cache.load(key) if cache else None
    outcome = Outcome.from_json(stored) if stored else None
    if outcome is None:
        outcome = find_outcome(session, query)
        if cache:
            cache.store(key, outcome.to_json())
    cards = cards_in_order(session, outcome.page_ids)
    return SearchResults(
        query=replace(query, page=outcome.page),
        products=Page(cards, outcome.page, PER_PAGE, outcome.total),
        facets=outcome.facets,
        corrected_text=outcome.corrected_text,
    )


def find_outcome(session: Session, query: SearchQuery) -> Outcome:
    """Counts, corrections and the page's product ids for `query`, from the database."""
    backend = backend_for(session)
    searched, corrected_text = query, None
    text_match = None if query.terms.is_empty else backend.text_match(query.terms)
    matches = find_matches(session, query, text_match)
    if matches.total == 0 and text_match is not None:
        corrected = corrected_query(session, backend, query)
        if corrected is not None:
            corrected_match = backend.text_match(corrected.terms)
            corrected_matches = find_matches(session, corrected, corrected_match)
            if corrected_matches.total:
                searched, text_match, matches = corrected, corrected_match, corrected_matches
                corrected_text = corrected.text
    last_page = max(1, -(-matches.total // PER_PAGE))
    if query.page > last_page:
        query, searched = replace(query, page=last_page), replace(searched, page=last_page)
        matches = find_matches(session, searched, text_match)
    return Outcome(
        page=query.page,
        total=matches.total,
        page_ids=matches.page_ids,
        facets=build_facets(query, matches),
        corrected_text=corrected_text,
    )


def refresh_vocabulary(session: Session) -> int:
    """Rebuild the spelling vocabulary from the visible products (the caller commits)."""
    return backend_for(session).refresh_vocabulary(session)


def corrected_query(
    session: Session, backend: SearchBackend, query: SearchQuery
) -> SearchQuery | None:
    """The query with its misspelt words replaced by the closest known words, if any are."""
    candidates = backend.spelling_candidates(session, list(query.terms.positive_words))
    corrections = {
        word: closest
        for word, known in candidates.items()
        if (closest := rules.closest_word(word, known))
    }
    if not corrections:
        return None
    return replace(query, text=rules.apply_corrections(query.text, corrections))


def filter_conditions(query: SearchQuery) -> dict[str, sa.ColumnElement[bool]]:
    """The SQL condition of each active category, merchant and price filter, by facet name."""
    conditions: dict[str, sa.ColumnElement[bool]] = {}
    if query.categories:
        conditions[CATEGORY] = Product.category_id.in_(
            sa.select(Category.id).where(Category.slug.in_(query.categories))
        )
    if query.merchants:
        conditions[MERCHANT] = Merchant.slug.in_(query.merchants)
    if query.prices:
        conditions[PRICE] = sa.or_(
            *(price_condition(bucket) for bucket in rules.selected_buckets(query.prices))
        )
    return conditions


def price_condition(bucket: rules.PriceBucket) -> sa.ColumnElement[bool]:
    """Products whose "from" price falls in the bucket."""
    bounds = []
    if bucket.minimum is not None:
        bounds.append(Product.price_amount >= bucket.minimum)
    if bucket.maximum is not None:
        bounds.append(Product.price_amount < bucket.maximum)
    return sa.and_(*bounds)


def price_bucket_column() -> sa.ColumnElement[str]:
    """The key of the price bucket a product's "from" price falls in."""
    closed = [(Product.price_amount < bucket.maximum, bucket.key) for bucket in PRICE_BUCKETS[:-1]]
    return sa.case(*closed, else_=PRICE_BUCKETS[-1].key)


def in_stock_flag(text_match: TextMatch | None) -> sa.ColumnElement[bool]:
    """Whether the product has a unit to sell (inventory's rule), in the form cheaper here.

    A text search matches a small part of the catalogue: each product is probed with a LIMIT 1
    index-only lookup (the partial index ix_stock_items_in_stock). Left to plan the EXISTS form
    in a select list, PostgreSQL hashes every in-stock row of stock_items instead, which costs
    more than the whole search. Without text the search reads every visible product, and that
    hash is what it should do.
    """
    if text_match is None:
        return in_stock_condition(Product.id)
    return (
        sa.select(sa.literal_column("1"))
        .where(StockItem.product_id == Product.id, StockItem.on_hand > StockItem.reserved)
        .limit(1)
        .scalar_subquery()
        .is_not(None)
    )


def sort_key(query: SearchQuery, text_match: TextMatch | None) -> tuple[sa.ColumnElement, bool]:
    """The column the results are ordered by, and whether the order is descending."""
    if query.sort == RELEVANCE and text_match is not None:
        return text_match.score, True
    if query.sort == "price_asc":
        return Product.price_amount, False
    if query.sort == "price_desc":
        return Product.price_amount, True
    return Product.created_at, True


def find_matches(session: Session, query: SearchQuery, text_match: TextMatch | None) -> Matches:
    """Every facet count, the total and the ids of the query's page, in one statement.

    The products matching the text (visible ones only) are read once into a CTE with a flag per
    active filter; each facet is grouped from it counting the rows that pass every other filter.
    """
    conditions = filter_conditions(query)
    active = [*conditions, STOCK] if query.in_stock else list(conditions)
    key, descending = sort_key(query, text_match)
    matching = visible_products().with_only_columns(
        Product.id,
        Product.category_id,
        Product.merchant_id,
        price_bucket_column().label("price_bucket"),
        in_stock_flag(text_match).label("in_stock"),
        key.label("sort_key"),
        *(condition.label(f"{name}_ok") for name, condition in conditions.items()),
        maintain_column_froms=True,
    )
    if text_match is not None:
        matching = text_match.apply(matching)
    matched = matching.cte("matched")

    def passing(excluded_facet: str | None) -> list[sa.ColumnElement[bool]]:
        return [
            matched.c.in_stock if name == STOCK else matched.c[f"{name}_ok"]
            for name in active
            if name != excluded_facet
        ]

    def counted(
        excluded_facet: str | None, *extra: sa.ColumnElement[bool]
    ) -> sa.ColumnElement[int]:
        wanted = [*passing(excluded_facet), *extra]
        return sa.func.count().filter(sa.and_(*wanted)) if wanted else sa.func.count()

    def branch(facet: str, key_id, key_text, hits) -> sa.Select:
        return sa.select(
            sa.literal_column(f"'{facet}'").label("facet"),
            sa.cast(key_id, sa.Integer).label("key_id"),
            sa.cast(key_text, sa.String).label("key_text"),
            sa.cast(hits, sa.Integer).label("hits"),
        )

    direction = sa.desc if descending else sa.asc
    page = (
        sa.select(matched.c.id, matched.c.sort_key)
        .where(*passing(None))
        .order_by(direction(matched.c.sort_key), direction(matched.c.id))
        .limit(PER_PAGE)
        .offset((query.page - 1) * PER_PAGE)
        .subquery("page")
    )
    position = sa.func.row_number().over(
        order_by=(direction(page.c.sort_key), direction(page.c.id))
    )
    no_key = sa.null()
    branches = [
        branch(CATEGORY, matched.c.category_id, no_key, counted(CATEGORY))
        .group_by(matched.c.category_id)
        .having(counted(CATEGORY) > 0),
        branch(MERCHANT, matched.c.merchant_id, no_key, counted(MERCHANT))
        .group_by(matched.c.merchant_id)
        .having(counted(MERCHANT) > 0),
        branch(PRICE, no_key, matched.c.price_bucket, counted(PRICE)).group_by(
            matched.c.price_bucket
        ),
        branch(STOCK, no_key, no_key, counted(STOCK, matched.c.in_stock)).select_from(matched),
        branch(TOTAL, no_key, no_key, counted(None)).select_from(matched),
        branch(PAGE, page.c.id, no_key, position),
    ]
    if query.categories:
        branches.append(
            branch(CATEGORY, Category.id, no_key, sa.literal_column("0")).where(
                Category.slug.in_(query.categories)
            )
        )
    if query.merchants:
        branches.append(
            branch(MERCHANT, Merchant.id, no_key, sa.literal_column("0")).where(
                Merchant.slug.in_(query.merchants), Merchant.status == MerchantStatus.ACTIVE
            )
        )
    facets = sa.union_all(*branches).subquery("facets")
    parent = aliased(Category)
    rows = session.execute(
        sa.select(
            facets.c.facet,
            facets.c.key_id,
            facets.c.key_text,
            facets.c.hits,
            Category.name,
            Category.slug,
            parent.name.label("parent_name"),
            Merchant.name.label("merchant_name"),
            Merchant.slug.label("merchant_slug"),
        )
        .select_from(facets)
        .outerjoin(Category, sa.and_(facets.c.facet == CATEGORY, Category.id == facets.c.key_id))
        .outerjoin(parent, parent.id == Category.parent_id)
        .outerjoin(Merchant, sa.and_(facets.c.facet == MERCHANT, Merchant.id == facets.c.key_id))
    ).all()
    return Matches(
        total=next((row.hits for row in rows if row.facet == TOTAL), 0),
        rows=rows,
        page_ids=[
            row.key_id for row in sorted(rows, key=lambda row: row.hits) if row.facet == PAGE
        ],
    )


def build_facets(query: SearchQuery, matches: Matches) -> Facets:
    """Label and order the raw counts; ticked values always show, even with nothing to count."""
    categories: dict[str, FacetValue] = {}
    merchants: dict[str, FacetValue] = {}
    prices: dict[str, int] = {}
    in_stock_count = 0
    for row in matches.rows:
        if row.facet == CATEGORY and row.slug is not None:
            keep_highest(
                categories,
                FacetValue(
                    row.slug,
                    row.name,
                    row.hits,
                    row.slug in query.categories,
                    row.parent_name or "",
                ),
            )
        elif row.facet == MERCHANT and row.merchant_slug is not None:
            keep_highest(
                merchants,
                FacetValue(
                    row.merchant_slug,
                    row.merchant_name,
                    row.hits,
                    row.merchant_slug in query.merchants,
                ),
            )
        elif row.facet == PRICE:
            prices[row.key_text] = row.hits
        elif row.facet == STOCK:
            in_stock_count = row.hits
    return Facets(
        categories=shortlist(categories.values(), CATEGORY_FACET_SIZE),
        merchants=shortlist(merchants.values(), MERCHANT_FACET_SIZE),
        prices=[
            FacetValue(
                bucket.key, bucket.label, prices.get(bucket.key, 0), bucket.key in query.prices
            )
            for bucket in PRICE_BUCKETS
            if prices.get(bucket.key) or bucket.key in query.prices
        ],
        in_stock=FacetValue("1", "In stock only", in_stock_count, query.in_stock),
    )


def keep_highest(values: dict[str, FacetValue], value: FacetValue) -> None:
    """Add `value`, unless the same value is already there with a higher count."""
    current = values.get(value.value)
    if current is None or value.count > current.count:
        values[value.value] = value


def shortlist(values: Iterable[FacetValue], size: int) -> list[FacetValue]:
    """The `size` values with the most results (ticked ones always), by count then name."""
    ordered = sorted(values, key=lambda value: (-value.count, value.label.lower(), value.value))
    top = ordered[:size]
    return top + [value for value in ordered[size:] if value.selected]


def cards_in_order(session: Session, product_ids: list[int]) -> list[ProductCard]:
    """Product cards of the given products, in the order of `product_ids`, in one query."""
    if not product_ids:
        return []
    rows = session.execute(listing_query().where(Product.id.in_(product_ids))).all()
    cards = {card.id: card for card in cards_from_rows(rows)}
    return [cards[product_id] for product_id in product_ids if product_id in cards]
