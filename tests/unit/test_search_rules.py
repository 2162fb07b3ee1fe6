"""Search rules without a database: reading arguments, the text syntax, price buckets, spelling."""

from __future__ import annotations

import itertools

import pytest
from werkzeug.datastructures import MultiDict

from app.search.backends import fts5_match_text, tsquery_text
from app.search.rules import (
    MAX_ATTRIBUTE_NAMES,
    MAX_FILTER_VALUES,
    MAX_QUERY_LENGTH,
    MAX_WORDS,
    PRICE_BUCKETS,
    SearchQuery,
    TextQuery,
    apply_corrections,
    clean_text,
    closest_word,
    parse_search_args,
    parse_text,
    selected_buckets,
    vocabulary_words,
)


def test_empty_arguments_browse_newest_first():
    # when
    query = parse_search_args(MultiDict())

    # then
    assert query == SearchQuery()
    assert query.sort == "newest"
    assert query.terms.is_empty
    assert not query.has_filters


def test_text_defaults_to_best_match_first():
    # when
    query = parse_search_args({"q": "  red   shirt "})

    # then
    assert query.text == "red shirt"
    assert query.sort == "relevance"
    assert query.terms == TextQuery(words=("red", "shirt"), prefix=True)


def test_every_argument_is_read():
    # given
    args = MultiDict(
        [
            ("q", "shirt"),
            ("category", "shirts"),
            ("category", "jackets"),
            ("merchant", "northwind"),
            ("price", "25-50"),
            ("price", "200-plus"),
            ("in_stock", "1"),
            ("sort", "price_desc"),
            ("page", "3"),
        ]
    )

    # when
    query = parse_search_args(args)

    # then
    assert query == SearchQuery(
        text="shirt",
        categories=("shirts", "jackets"),
        merchants=("northwind",),
        prices=("25-50", "200-plus"),
        in_stock=True,
        sort="price_desc",
        page=3,
    )
    assert query.has_filters


def test_a_plain_mapping_works_too():
    # when
    query = parse_search_args({"category": ["a", "b"], "price": "under-25", "page": 2})

    # then
    assert (query.categories, query.prices, query.page) == (("a", "b"), ("under-25",), 2)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"sort": "bogus"}, "newest"),
        ({"sort": "relevance"}, "newest"),
        ({"sort": "relevance", "q": "-wool"}, "newest"),
        ({"sort": "bogus", "q": "shirt"}, "relevance"),
        ({"sort": ["price_asc", "price_desc"]}, "price_asc"),
    ],
)
def test_unknown_or_pointless_sorts_fall_back(args, expected):
    assert parse_search_args(args).sort == expected


@pytest.mark.parametrize(
    ("page", "expected"),
    [("-1", 1), ("0", 1), ("abc", 1), ("", 1), ("1e9", 1), ("7", 7), ("9" * 40, 10_000)],
)
def test_page_numbers_are_clamped(page, expected):
    assert parse_search_args({"page": page}).page == expected


def test_odd_filter_values_are_dropped_and_repeats_removed():
    # given
    args = MultiDict(
        [
            ("category", "shirts"),
            ("category", "shirts"),
            ("category", "../etc"),
            ("category", "Shirts"),
            ("category", "a" * 300),
            ("merchant", "'; drop table"),
            ("price", "free"),
            ("price", "under-25"),
            ("price", "under-25"),
            ("in_stock", "maybe"),
        ]
    )

    # when
    query = parse_search_args(args)

    # then
    assert query.categories == ("shirts",)
    assert query.merchants == ()
    assert query.prices == ("under-25",)
    assert query.in_stock is False


def test_filter_values_are_capped():
    # when
    query = parse_search_args({"category": [f"c{number}" for number in range(100)]})

    # then
    assert len(query.categories) == MAX_FILTER_VALUES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\x00b", "a b"),
        ("\t tab\nnew\rline ", "tab new line"),
        ("\u202eevil\ufeff", "evil"),
        ("\uff53\uff48\uff49\uff52\uff54 \ufb01ne", "shirt fine"),
        ("x" * 10_000, "x" * MAX_QUERY_LENGTH),
        ("😀 shirt", "😀 shirt"),
    ],
)
def test_clean_text(text, expected):
    assert clean_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", TextQuery()),
        ("shir", TextQuery(words=("shir",), prefix=True)),
        ("sh", TextQuery(words=("sh",), prefix=False)),
        ("Red SHIRT red", TextQuery(words=("red", "shirt"), prefix=True)),
        ("t-shirt", TextQuery(words=("t", "shirt"), prefix=True)),
        ('"denim jacket"', TextQuery(phrases=(("denim", "jacket"),))),
        ('"jacket"', TextQuery(words=("jacket",), prefix=False)),
        ('"unbalanced phrase', TextQuery(phrases=(("unbalanced", "phrase"),))),
        ("“curly quotes”", TextQuery(phrases=(("curly", "quotes"),))),
        ("shirt -wool", TextQuery(words=("shirt",), excluded=("wool",))),
        ('shirt -"merino wool"', TextQuery(words=("shirt",), excluded=("merino", "wool"))),
        ("-wool", TextQuery(excluded=("wool",))),
        ("shirt -shirt", TextQuery(words=("shirt",))),
        ("&|!:*() <-> -- -", TextQuery()),
        ("shirt:* & !wool", TextQuery(words=("shirt", "wool"), prefix=True)),
        ("o'neill", TextQuery(words=("o", "neill"), prefix=True)),
        ("snake_case", TextQuery(words=("snake", "case"), prefix=True)),
        ("x" * 61, TextQuery()),
    ],
)
def test_parse_text(text, expected):
    assert parse_text(text) == expected


def test_parse_text_keeps_at_most_max_words():
    # when
    terms = parse_text(" ".join(f"word{number}" for number in range(50)))

    # then
    assert len(terms.words) == MAX_WORDS


def test_exclusions_alone_are_no_text_search():
    assert parse_text("-wool -silk").is_empty


def test_positive_words_come_from_words_and_phrases():
    assert parse_text('red "cotton shirt" -wool red').positive_words == ("red", "cotton", "shirt")


@pytest.mark.parametrize(
    ("text", "postgres", "sqlite"),
    [
        ("shir", "shir:*", '("shir"*)'),
        ("red shirt", "red & shirt:*", '("red" AND "shirt"*)'),
        (
            'red "cotton blend" -wool',
            "red & (cotton <-> blend) & !wool",
            '("red" AND "cotton blend") NOT "wool"',
        ),
        (
            '"denim jacket" oxford',
            "oxford:* & (denim <-> jacket)",
            '("oxford"* AND "denim jacket")',
        ),
        ("""a'b"c\\d""", "a & b & c & d", '("a" AND "b" AND "c" AND "d")'),
    ],
)
def test_query_syntax_for_each_database(text, postgres, sqlite):
    # given
    terms = parse_text(text)

    # then
    assert tsquery_text(terms) == postgres
    assert fts5_match_text(terms) == sqlite


@pytest.mark.parametrize(
    "text", ["''; drop table products; --", '"*" NEAR(a b)', "x:* | y", "a\\'b", "ä ß 中文 ½"]
)
def test_query_syntax_only_ever_holds_letters_digits_and_operators(text):
    # given
    terms = parse_text(clean_text(text))

    # then
    assert set(tsquery_text(terms)) <= set(" &!():*<->") | set("".join(terms.positive_words))
    for word in [*terms.positive_words, *terms.excluded]:
        assert word.isalnum()


def test_query_args_leave_out_defaults():
    # given
    query = parse_search_args(
        MultiDict([("q", "shirt"), ("price", "25-50"), ("sort", "relevance"), ("page", "1")])
    )

    # then
    assert query.to_args() == {"q": "shirt", "price": ["25-50"]}
    assert query.to_args(page=3, sort="newest") == {
        "q": "shirt",
        "price": ["25-50"],
        "sort": "newest",
        "page": "3",
    }


def test_query_args_read_back_to_the_same_query():
    # given
    query = SearchQuery(
        text="red shirt",
        categories=("shirts",),
        merchants=("acme",),
        prices=("under-25",),
        in_stock=True,
        sort="price_asc",
        page=4,
    )

    # then
    assert parse_search_args(query.to_args()) == query


def test_price_buckets_cover_every_price_once():
    # then
    assert PRICE_BUCKETS[0].minimum is None and PRICE_BUCKETS[-1].maximum is None
    for lower, upper in itertools.pairwise(PRICE_BUCKETS):
        assert lower.maximum == upper.minimum
    assert [bucket.key for bucket in selected_buckets(["200-plus", "under-25", "nope"])] == [
        "under-25",
        "200-plus",
    ]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("shrit", "shirt"),
        ("jackte", "jacket"),
        ("oxfrod", "oxford"),
        ("shirt", None),
        ("qwxzv", None),
        ("shrt", "shirt"),
    ],
)
def test_closest_word(word, expected):
    # given
    vocabulary = {"shirt": 30, "short": 5, "jacket": 7, "oxford": 2, "shorts": 1}

    # then
    assert closest_word(word, vocabulary) == expected


def test_closest_word_prefers_the_more_common_on_a_tie():
    assert closest_word("shxrt", {"short": 5, "shirt": 30}) == "shirt"
    assert closest_word("shxrt", {"short": 50, "shirt": 30}) == "short"


def test_apply_corrections_keeps_the_rest_of_the_text():
    assert apply_corrections('Red "Shrit" -wool', {"shrit": "shirt"}) == 'Red "shirt" -wool'


def test_vocabulary_words():
    assert vocabulary_words("T-shirt, 100% Cotton; size XL and O'Neill 2024 ab") == {
        "shirt",
        "cotton",
        "size",
        "and",
        "neill",
    }


def test_attribute_filters_are_cleaned_and_bounded():
    query = parse_search_args(
        MultiDict(
            [
                ("attr", "Material:Cotton"),
                ("attr", "Material:Cotton"),
                ("attr", "no-colon"),
                ("attr", ":empty name"),
                ("attr", "Fit: Loose\x00 "),
                ("attr", f"Long:{'x' * 201}"),
            ]
            + [("attr", f"Name {n}:v") for n in range(10)]
        )
    )

    assert query.attributes[:2] == (("Material", "Cotton"), ("Fit", "Loose"))
    assert len({name for name, _ in query.attributes}) == MAX_ATTRIBUTE_NAMES
    assert query.to_args()["attr"][0] == "Material:Cotton"
    assert dict(query.attribute_filters)["Material"] == frozenset({"Cotton"})
