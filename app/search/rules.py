"""Search rules that need no database: the query string, the text syntax, price bands, counting.

Shoppers type anything, so every function here accepts any input and returns something sane:
unknown values are dropped, text is cleaned and shortened, page numbers are clamped.
"""

from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from app.platform.pagination import clamp_page

PER_PAGE = 24
MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
MAX_WORD_LENGTH = 60
MAX_FILTER_VALUES = 20
MAX_ATTRIBUTE_NAMES = 5
ATTRIBUTE_NAME_LENGTH = 60
ATTRIBUTE_VALUE_LENGTH = 200
ATTRIBUTE_SEPARATOR = ":"
PREFIX_MIN_LENGTH = 3
VOCABULARY_WORD_LENGTH = (3, 40)
CORRECTION_CUTOFF = 0.75

RELEVANCE = "relevance"
NEWEST = "newest"
SORT_LABELS = {
    RELEVANCE: "Best match",
    NEWEST: "Newest",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
}

WORD = re.compile(r"[^\W_]+")
TOKEN = re.compile(r'(-?)["“”„]([^"“”„]*)["“”„]?|(\S+)')
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
TRUE_VALUES = {"1", "true", "on", "yes"}


@dataclass(frozen=True)
class PriceBucket:
    """A fixed price range in minor units: `minimum` included, `maximum` excluded (None: open)."""

    key: str
    label: str
    minimum: int | None
    maximum: int | None


PRICE_BUCKETS = (
    PriceBucket("under-25", "Under $25", None, 2500),
    PriceBucket("25-50", "$25 to $50", 2500, 5000),
    PriceBucket("50-100", "$50 to $100", 5000, 10000),
    PriceBucket("100-200", "$100 to $200", 10000, 20000),
    PriceBucket("200-plus", "$200 and over", 20000, None),
)
PRICE_BUCKETS_BY_KEY = {bucket.key: bucket for bucket in PRICE_BUCKETS}
# Where one bucket ends and the next begins: a price's band is its bucket's index in PRICE_BUCKETS.
PRICE_BOUNDS = tuple(bucket.maximum for bucket in PRICE_BUCKETS[:-1])


@dataclass(frozen=True)
class TextQuery:
    """What the search box asked for.

    Every word and every phrase must match; excluded words must not. The last plain word also
    matches as a prefix ("shir" finds "shirt") when it has at least PREFIX_MIN_LENGTH letters.
    """

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()
    prefix: bool = False

    @property
    def is_empty(self) -> bool:
        """No positive term: exclusions alone do not make a text search."""
        return not self.words and not self.phrases

    @property
    def positive_words(self) -> tuple[str, ...]:
        """Words that must match, from plain words and phrases, in order, without repeats."""
        return tuple(dict.fromkeys([*self.words, *(w for phrase in self.phrases for w in phrase)]))


@dataclass(frozen=True)
class SearchQuery:
    """A validated search request: text, facet filters, sort and page.

    `attributes` are (name, value) pairs: values of one name are alternatives, names combine
    with AND. `scope` (category ids) limits everything to those categories: a category page is
    a search scoped to the category and its children, with no text; it is not part of the URL's
    query string (the page's path names the category).
    """

    text: str = ""
    categories: tuple[str, ...] = ()
    merchants: tuple[str, ...] = ()
    prices: tuple[str, ...] = ()
    in_stock: bool = False
    sort: str = NEWEST
    page: int = 1
    attributes: tuple[tuple[str, str], ...] = ()
    scope: tuple[int, ...] = ()

    @cached_property
    def terms(self) -> TextQuery:
        """The parsed text."""
        return parse_text(self.text)

    @property
    def has_filters(self) -> bool:
        """Whether any facet filter is on."""
        return bool(
            self.categories or self.merchants or self.prices or self.in_stock or self.attributes
        )

    @property
    def attribute_filters(self) -> tuple[tuple[str, frozenset[str]], ...]:
        """The ticked attribute values grouped by name, names in their first order."""
        grouped: dict[str, set[str]] = {}
        for name, value in self.attributes:
            grouped.setdefault(name, set()).add(value)
        return tuple((name, frozenset(values)) for name, values in grouped.items())

    def to_args(self, **changes: object) -> dict[str, str | list[str]]:
        """Query-string arguments for this search (with `changes`), leaving out the defaults."""
        query = replace(self, **changes) if changes else self
        args: dict[str, str | list[str]] = {}
        if query.text:
            args["q"] = query.text
        if query.categories:
            args["category"] = list(query.categories)
        if query.merchants:
            args["merchant"] = list(query.merchants)
        if query.prices:
            args["price"] = list(query.prices)
        if query.in_stock:
            args["in_stock"] = "1"
        if query.attributes:
            args["attr"] = [attribute_arg(name, value) for name, value in query.attributes]
        if query.sort != default_sort(query.terms):
            args["sort"] = query.sort
        if query.page > 1:
            args["page"] = str(query.page)
        return args


def parse_search_args(args: Mapping) -> SearchQuery:
    """A SearchQuery from query-string arguments (a MultiDict or a plain mapping), never failing."""
    if not args:
        return SearchQuery()
    text = clean_text(first_value(args, "q"))
    terms = parse_text(text)
    sort = first_value(args, "sort")
    if sort not in SORT_LABELS or (sort == RELEVANCE and terms.is_empty):
        sort = default_sort(terms)
    return SearchQuery(
        text=text,
        categories=valid_slugs(all_values(args, "category")),
        merchants=valid_slugs(all_values(args, "merchant")),
        prices=tuple(
            key for key in unique(all_values(args, "price")) if key in PRICE_BUCKETS_BY_KEY
        )[:MAX_FILTER_VALUES],
        in_stock=first_value(args, "in_stock").lower() in TRUE_VALUES,
        sort=sort,
        page=clamp_page(first_value(args, "page") or 1),
        attributes=valid_attributes(all_values(args, "attr")),
    )


def attribute_arg(name: str, value: str) -> str:
    """How an attribute filter travels in the URL: `Material:Cotton`."""
    return f"{name}{ATTRIBUTE_SEPARATOR}{value}"


def valid_attributes(values: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """(name, value) pairs from `Name:Value` arguments, cleaned, without repeats; odd ones and
    those past MAX_ATTRIBUTE_NAMES names or MAX_FILTER_VALUES values are dropped."""
    pairs: list[tuple[str, str]] = []
    names: set[str] = set()
    for text in unique(values):
        name, separator, value = text.partition(ATTRIBUTE_SEPARATOR)
        name, value = clean_text(name), clean_text(value)
        if not (separator and name and value):
            continue
        if len(name) > ATTRIBUTE_NAME_LENGTH or len(value) > ATTRIBUTE_VALUE_LENGTH:
            continue
        if name not in names and len(names) == MAX_ATTRIBUTE_NAMES:
            continue
        names.add(name)
        pairs.append((name, value))
    return tuple(unique(pairs)[:MAX_FILTER_VALUES])


def all_values(args: Mapping, key: str) -> list[str]:
    """Every value given for `key`, as strings."""
    if hasattr(args, "getlist"):
        values = args.getlist(key)
    else:
        value = args.get(key)
        values = value if isinstance(value, list | tuple) else [] if value is None else [value]
    return [str(value) for value in values]


def first_value(args: Mapping, key: str) -> str:
    """The first value given for `key`, or ""."""
    values = all_values(args, key)
    return values[0] if values else ""


def unique(values: Iterable[str]) -> list[str]:
    """Values without repeats, in their first order."""
    return list(dict.fromkeys(values))


def valid_slugs(values: Iterable[str]) -> tuple[str, ...]:
    """Values shaped like slugs, without repeats, at most MAX_FILTER_VALUES."""
    slugs = [value for value in unique(values) if len(value) <= 220 and SLUG.fullmatch(value)]
    return tuple(slugs[:MAX_FILTER_VALUES])


def default_sort(terms: TextQuery) -> str:
    """Best match first when there is text to match, else the newest first."""
    return NEWEST if terms.is_empty else RELEVANCE


def clean_text(text: str) -> str:
    """Search text without control characters, whitespace collapsed, at most MAX_QUERY_LENGTH."""
    text = unicodedata.normalize("NFKC", text[: MAX_QUERY_LENGTH * 4])
    printable = "".join(
        " " if unicodedata.category(char).startswith("C") else char for char in text
    )
    return " ".join(printable.split())[:MAX_QUERY_LENGTH].strip()


def words_of(text: str) -> list[str]:
    """Lower-case words (runs of letters and digits) of `text`, overlong ones dropped."""
    return [word for word in WORD.findall(text.lower()) if len(word) <= MAX_WORD_LENGTH]


def parse_text(text: str) -> TextQuery:
    """Words, "quoted phrases" and -excluded words of a search text, at most MAX_WORDS in all."""
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    excluded: list[str] = []
    budget = MAX_WORDS
    last_is_word = False
    for match in TOKEN.finditer(text):
        negated, quoted, bare = match.groups()
        if bare is not None:
            negated, quoted = ("-", bare[1:]) if bare.startswith("-") else ("", bare)
        found = words_of(quoted)[:budget]
        if not found:
            continue
        budget -= len(found)
        if negated:
            excluded.extend(found)
        elif bare is not None or len(found) == 1:
            words.extend(found)
        else:
            phrases.append(tuple(found))
        last_is_word = bare is not None and not negated
        if budget <= 0:
            break
    words = unique(words)
    return TextQuery(
        words=tuple(words),
        phrases=tuple(unique(phrases)),
        excluded=tuple(word for word in unique(excluded) if word not in words),
        prefix=last_is_word and len(words[-1]) >= PREFIX_MIN_LENGTH,
    )


def apply_corrections(text: str, corrections: Mapping[str, str]) -> str:
    """`text` with each word found in `corrections` (keyed by lower-case word) replaced."""
    return WORD.sub(lambda match: corrections.get(match.group().lower(), match.group()), text)


def closest_word(word: str, candidates: Mapping[str, int]) -> str | None:
    """The candidate spelled most like `word` (ties: the one in most products), if close enough.

    None when `word` is a candidate itself: a known word needs no correction. `candidates` maps
    words to the number of products they appear in; similarity is difflib's ratio, at least
    CORRECTION_CUTOFF.
    """
    if word in candidates:
        return None
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    best: tuple[float, int] | None = None
    choice = None
    for term in sorted(candidates):
        matcher.set_seq1(term)
        if matcher.real_quick_ratio() < CORRECTION_CUTOFF:
            continue
        if matcher.quick_ratio() < CORRECTION_CUTOFF:
            continue
        score = (matcher.ratio(), candidates[term])
        if score[0] >= CORRECTION_CUTOFF and (best is None or score > best):
            best, choice = score, term
    return choice


def vocabulary_words(text: str) -> set[str]:
    """The words of `text` worth offering as spelling corrections: letters only, 3 to 40 long."""
    shortest, longest = VOCABULARY_WORD_LENGTH
    return {
        word
        for word in WORD.findall(text.lower())
        if word.isalpha() and shortest <= len(word) <= longest
    }


def selected_buckets(keys: Iterable[str]) -> list[PriceBucket]:
    """The price buckets named by `keys`, in display order."""
    wanted = set(keys)
    return [bucket for bucket in PRICE_BUCKETS if bucket.key in wanted]


def price_band(amount: int) -> int:
    """The index in PRICE_BUCKETS of the bucket a price (minor units) falls in."""
    return bisect.bisect_right(PRICE_BOUNDS, amount)


def selected_bands(keys: Iterable[str]) -> tuple[int, ...]:
    """The bands (PRICE_BUCKETS indexes) of the price buckets named by `keys`, in order."""
    wanted = set(keys)
    return tuple(index for index, bucket in enumerate(PRICE_BUCKETS) if bucket.key in wanted)


FACETS = ("category", "merchant", "band", "stock")
ATTRIBUTE_FACET = "attribute:"
# Separators of a product's attribute list as the tally statement joins it: name UNIT value,
# pairs split by RECORD (ASCII unit and record separators, which attribute text never holds).
UNIT, RECORD = "\x1f", "\x1e"


@dataclass(frozen=True)
class Cell:
    """How many matching products share one category, merchant, price band and stock state
    (and, when the search counts attributes, one set of attribute values)."""

    category_id: int
    merchant_id: int
    band: int
    in_stock: bool
    hits: int
    attributes: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Selection:
    """The ticked filters as ids and bands; None means the facet does not filter.

    `attributes` holds, per ticked attribute name, the values that pass.
    """

    categories: frozenset[int] | None = None
    merchants: frozenset[int] | None = None
    bands: frozenset[int] | None = None
    in_stock: bool = False
    attributes: tuple[tuple[str, frozenset[str]], ...] = ()


@dataclass(frozen=True)
class Tally:
    """The total and every facet's counts, each facet counted under every filter but its own."""

    total: int
    categories: Counter[int]
    merchants: Counter[int]
    bands: Counter[int]
    in_stock: int
    attributes: Counter[tuple[str, str]] = field(default_factory=Counter)


def parse_attributes(joined: str | None) -> frozenset[tuple[str, str]]:
    """The (name, value) pairs of an attribute list joined with UNIT and RECORD."""
    if not joined:
        return frozenset()
    return frozenset(
        (name, value)
        for name, _, value in (record.partition(UNIT) for record in joined.split(RECORD))
    )


def failed_filters(cell: Cell, selection: Selection) -> tuple[str, ...]:
    """The facets (of FACETS, and `attribute:<name>`) whose active filter the products of
    `cell` do not pass."""
    passes = (
        selection.categories is None or cell.category_id in selection.categories,
        selection.merchants is None or cell.merchant_id in selection.merchants,
        selection.bands is None or cell.band in selection.bands,
        not selection.in_stock or cell.in_stock,
    )
    failed = [facet for facet, ok in zip(FACETS, passes, strict=True) if not ok]
    for name, values in selection.attributes:
        if not any((name, value) in cell.attributes for value in values):
            failed.append(ATTRIBUTE_FACET + name)
    return tuple(failed)


def tally(cells: Iterable[Cell], selection: Selection) -> Tally:
    """Count the matching products per facet value from the cells of the facet cube.

    A product counts towards a facet value when it passes every active filter except that
    facet's own, so each count says how many results ticking that value (too, or instead)
    would give; the total counts the products that pass every filter.
    """
    total = in_stock = 0
    categories: Counter[int] = Counter()
    merchants: Counter[int] = Counter()
    bands: Counter[int] = Counter()
    attributes: Counter[tuple[str, str]] = Counter()
    for cell in cells:
        failed = failed_filters(cell, selection)
        if len(failed) > 1:
            continue
        counted_in = failed or FACETS
        if not failed:
            total += cell.hits
        if "category" in counted_in:
            categories[cell.category_id] += cell.hits
        if "merchant" in counted_in:
            merchants[cell.merchant_id] += cell.hits
        if "band" in counted_in:
            bands[cell.band] += cell.hits
        if "stock" in counted_in and cell.in_stock:
            in_stock += cell.hits
        for pair in cell.attributes:
            if not failed or failed == (ATTRIBUTE_FACET + pair[0],):
                attributes[pair] += cell.hits
    return Tally(total, categories, merchants, bands, in_stock, attributes)
