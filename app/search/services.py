"""Product search: full-text matching, facet counts, sorting, pages and spelling correction.

Facet counts follow the usual faceted-search rule: **each facet's counts apply every active filter
except the facet's own**. Values within one facet are alternatives (two ticked categories show the
products of either), facets combine with AND, so a count says how many results there would be if
that value were ticked too (or instead, for an already ticked facet). The total is the number of
products matching every filter.

"Best match" shows first the products whose name holds every searched word, newest first, then
the others by relevance (PostgreSQL ts_rank, SQLite bm25; the newest first on ties).

A search costs two statements whatever it shows (app.search.statements): the *tally* reads the
matching products once and returns the facet cube (counts per category, merchant, price band and
stock state, which `rules.tally` turns into every facet's counts) with the names to show; the
*page* draws one page of product cards (not needed when nothing matches). When the text finds
nothing, a query or two look for spelling corrections and, if there are some, the tally runs again
for the corrected text. Outcomes can be kept for a few seconds in a `ResultCache`; cards are
always drawn fresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace

from sqlalchemy.orm import Session

from app.catalog.listings import (
    DEFAULT_SORT,
    SORTS,
    CategoryListing,
    ProductCard,
    cards_from_rows,
    category_listing,
    listing_query,
)
from app.catalog.models import Product
from app.catalog.tree import CategoryNode, find_category
from app.platform.pagination import Page
from app.search import rules
from app.search.backends import SearchBackend, backend_for
from app.search.cache import ResultCache
from app.search.rules import PER_PAGE, PRICE_BUCKETS, SearchQuery
from app.search.statements import (
    CATEGORY,
    CELL,
    MERCHANT,
    Shape,
    category_page_statement,
    page_statement,
    parameters,
    tally_statement,
)

CATEGORY_FACET_SIZE = 20
MERCHANT_FACET_SIZE = 15
ATTRIBUTE_FACETS = 4
ATTRIBUTE_FACET_SIZE = 10
# An attribute with more distinct values than this among the results (an author, a page count)
# names products rather than groups them: it is not offered as a facet unless ticked.
ATTRIBUTE_VALUE_LIMIT = 24


@dataclass(frozen=True)
class FacetValue:
    """One choice of a facet: the value sent back in the URL, what it is called, how many match."""

    value: str
    label: str
    count: int
    selected: bool
    context: str = ""


@dataclass(frozen=True)
class AttributeFacet:
    """The values of one attribute (e.g. Material) among the results; a value's `value` is its
    URL form, `Material:Cotton`."""

    name: str
    values: list[FacetValue]


@dataclass(frozen=True)
class Facets:
    """Every facet of a search, its values ordered for display."""

    categories: list[FacetValue]
    merchants: list[FacetValue]
    prices: list[FacetValue]
    in_stock: FacetValue
    attributes: list[AttributeFacet] = field(default_factory=list)


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
class Label:
    """How a category or merchant is shown: its name, its slug and (categories) its parent."""

    name: str
    slug: str
    context: str = ""


@dataclass(frozen=True)
class Found:
    """What the tally statement says about a search."""

    tally: rules.Tally
    categories: dict[int, Label]
    merchants: dict[int, Label]


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
                attributes=[
                    AttributeFacet(
                        facet["name"], [FacetValue(**value) for value in facet["values"]]
                    )
                    for facet in facets.get("attributes", [])
                ],
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
    if stored:
        outcome = Outcome.from_json(stored)
        cards = cards_in_order(session, outcome.page_ids)
    else:
        outcome, cards = find_outcome(session, query)
        if cache:
            cache.store(key, outcome.to_json())
    return SearchResults(
        query=replace(query, page=outcome.page),
        products=Page(cards, outcome.page, PER_PAGE, outcome.total),
        facets=outcome.facets,
        corrected_text=outcome.corrected_text,
    )


def find_outcome(session: Session, query: SearchQuery) -> tuple[Outcome, list[ProductCard]]:
    """Counts, corrections and the page's cards for `query`, from the database.

    A page past the last shows the last one.
    """
    backend = backend_for(session)
    searched, corrected_text = query, None
    found = read_tally(session, backend, query)
    if found.tally.total == 0 and not query.terms.is_empty:
        corrected = corrected_query(session, backend, query)
        if corrected is not None:
            corrected_found = read_tally(session, backend, corrected)
            if corrected_found.tally.total:
                searched, found, corrected_text = corrected, corrected_found, corrected.text
    last_page = max(1, -(-found.tally.total // PER_PAGE))
    page = min(query.page, last_page)
    cards = read_page(session, backend, replace(searched, page=page)) if found.tally.total else []
    outcome = Outcome(
        page=page,
        total=found.tally.total,
        page_ids=[card.id for card in cards],
        facets=build_facets(query, found),
        corrected_text=corrected_text,
    )
    return outcome, cards


def read_tally(session: Session, backend: SearchBackend, query: SearchQuery) -> Found:
    """Run the tally statement of `query` and count every facet from its cube."""
    rows = session.connection().execute(
        tally_statement(backend, Shape.of(query)), parameters(backend, query)
    )
    cells: list[rules.Cell] = []
    categories: dict[int, Label] = {}
    merchants: dict[int, Label] = {}
    attribute_sets: dict[str | None, frozenset[tuple[str, str]]] = {}
    for row in rows:
        if row.kind == CELL:
            if row.attributes not in attribute_sets:
                attribute_sets[row.attributes] = rules.parse_attributes(row.attributes)
            cells.append(
                rules.Cell(
                    row.key_id,
                    row.merchant_id,
                    row.band,
                    bool(row.in_stock),
                    row.hits,
                    attribute_sets[row.attributes],
                )
            )
        elif row.kind == CATEGORY:
            categories[row.key_id] = Label(row.name, row.slug, row.context or "")
        elif row.kind == MERCHANT:
            merchants[row.key_id] = Label(row.name, row.slug)
    selection = rules.Selection(
        categories=ticked(categories, query.categories),
        merchants=ticked(merchants, query.merchants),
        bands=frozenset(rules.selected_bands(query.prices)) if query.prices else None,
        in_stock=query.in_stock,
        attributes=query.attribute_filters,
    )
    return Found(rules.tally(cells, selection), categories, merchants)


def ticked(labels: dict[int, Label], slugs: tuple[str, ...]) -> frozenset[int] | None:
    """The ids of the ticked slugs (None when the facet does not filter; unknown slugs match
    nothing)."""
    if not slugs:
        return None
    return frozenset(key for key, label in labels.items() if label.slug in slugs)


def read_page(session: Session, backend: SearchBackend, query: SearchQuery) -> list[ProductCard]:
    """The cards of the query's page, in order."""
    statement = page_statement(backend, Shape.of(query))
    rows = session.connection().execute(statement, parameters(backend, query)).all()
    return cards_from_rows(rows)


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


def build_facets(query: SearchQuery, found: Found) -> Facets:
    """Label and order the counts; ticked values always show, even with nothing to count."""
    tally = found.tally
    categories = [
        FacetValue(
            label.slug,
            label.name,
            tally.categories[key],
            label.slug in query.categories,
            label.context,
        )
        for key, label in found.categories.items()
        if tally.categories[key] or label.slug in query.categories
    ]
    merchants = [
        FacetValue(label.slug, label.name, tally.merchants[key], label.slug in query.merchants)
        for key, label in found.merchants.items()
        if tally.merchants[key] or label.slug in query.merchants
    ]
    return Facets(
        categories=shortlist(categories, CATEGORY_FACET_SIZE),
        merchants=shortlist(merchants, MERCHANT_FACET_SIZE),
        prices=[
            FacetValue(bucket.key, bucket.label, tally.bands[band], bucket.key in query.prices)
            for band, bucket in enumerate(PRICE_BUCKETS)
            if tally.bands[band] or bucket.key in query.prices
        ],
        in_stock=FacetValue("1", "In stock only", tally.in_stock, query.in_stock),
        attributes=attribute_facets(query, tally.attributes),
    )


def attribute_facets(
    query: SearchQuery, counts: dict[tuple[str, str], int]
) -> list[AttributeFacet]:
    """The attributes worth filtering by, the most common first (ticked ones always), each
    with its values that have results (ticked ones always)."""
    ticked = set(query.attributes)
    by_name: dict[str, list[FacetValue]] = {}
    for name, value in sorted({*counts, *ticked}):
        count = counts.get((name, value), 0)
        selected = (name, value) in ticked
        if count or selected:
            by_name.setdefault(name, []).append(
                FacetValue(rules.attribute_arg(name, value), value, count, selected)
            )
    ticked_names = {name for name, _ in ticked}
    offered = [
        (name, values)
        for name, values in by_name.items()
        if name in ticked_names or len(values) <= ATTRIBUTE_VALUE_LIMIT
    ]
    offered.sort(key=lambda item: (item[0] not in ticked_names, -sum(v.count for v in item[1])))
    return [
        AttributeFacet(name, shortlist(values, ATTRIBUTE_FACET_SIZE))
        for name, values in offered[:ATTRIBUTE_FACETS]
        + [item for item in offered[ATTRIBUTE_FACETS:] if item[0] in ticked_names]
    ]


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


class PageOutOfRange(LookupError):
    """A page number past the last page of results: `last` is the last page, `query` the
    search as understood (filters and sort checked)."""

    def __init__(self, last: int, query: SearchQuery) -> None:
        super().__init__(f"the last page is {last}")
        self.last = last
        self.query = query


@dataclass(frozen=True)
class CategoryResults:
    """A category page: the category, a page of its products and their facets, and the filters
    and sort (`query`, scoped to the category and its children) that chose them."""

    listing: CategoryListing
    query: SearchQuery
    facets: Facets


def category_results(
    session: Session,
    slug: str,
    query: SearchQuery,
    tree: list[CategoryNode],
    cached_facets: Callable[[Callable[[], Facets]], Facets],
) -> CategoryResults:
    """A page of a category's products (its subcategories' included), filtered and sorted.

    Unfiltered, the page is the catalog's one statement (its total from the category counts
    read model) and the facets come from `cached_facets(produce)`, which may keep them for a
    while (they are the same for every page and sort of the category). Filtered, the tally
    statement counts the facets and the total, then one statement reads the page. Raises
    CategoryNotFound, and PageOutOfRange for a page past the last one.
    """
    category, parent = find_category(tree, slug)
    query = replace(
        query,
        text="",
        scope=(category.id, *(child.id for child in category.children)),
        sort=query.sort if query.sort in SORTS else DEFAULT_SORT,
    )
    backend = backend_for(session)
    if not query.has_filters:
        listing = category_listing(session, slug, query.page, query.sort, tree)
        check_page(listing.products, query)
        facets = cached_facets(lambda: build_facets(query, read_tally(session, backend, query)))
        return CategoryResults(listing, query, facets)
    found = read_tally(session, backend, query)
    check_page(Page([], query.page, PER_PAGE, found.tally.total), query)
    rows = session.connection().execute(
        category_page_statement(backend, Shape.of(query)), parameters(backend, query)
    )
    products = Page(cards_from_rows(rows.all()), query.page, PER_PAGE, found.tally.total)
    listing = CategoryListing(category, parent, products, query.sort)
    return CategoryResults(listing, query, build_facets(query, found))


def check_page(page: Page, query: SearchQuery) -> None:
    """Raise PageOutOfRange when `page` is past the last page (page 1 always exists)."""
    if page.page > page.pages:
        raise PageOutOfRange(page.pages, query)
