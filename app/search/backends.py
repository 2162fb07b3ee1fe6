"""The database-specific half of search: which products match, their relevance, the vocabulary.

Both backends answer the same question the same way: `matches()` is a SELECT of the visible
products matching the text (all of them without text), one row each, with the columns the
facets, filters and sorts use: product_id, category_id, merchant_id, price_amount, in_stock,
created_at and, with text, a relevance score (higher is better). Its "named" tier keeps the
products whose *name* alone matches the text, its "other" tier the rest: "Best match" shows the
named ones first.

PostgreSQL reads the `search_documents` read model (0004 migration): one narrow row per visible
product with a copy of its tsvector (name A, attributes B, description C), GIN-indexed, and a GIN
index over the name's lexemes alone (`ts_filter(document, '{a}')`); it scores with ts_rank and
corrects spelling with pg_trgm over `search_terms`. SQLite joins products to the FTS5 table
`products_fts` (0002), whose `name` column filter finds the named tier; it scores with bm25 and
corrects spelling with difflib over `search_terms`.

Neither the read model nor the FTS5 table is part of the models, so they are named here with
lightweight table constructs. Every value that comes from the shopper is a bound parameter,
rendered as a quoted literal when the statement runs (see app.search.statements), and the query
syntax around it is built from words made only of letters and digits.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from app.catalog.listings import visible_products
from app.catalog.models import Product
from app.inventory.services import in_stock_condition
from app.search import rules
from app.search.models import SearchTerm
from app.search.rules import TextQuery

TEXT_SEARCH_CONFIG = "english"
VOCABULARY_CONFIG = "simple"
FTS_TABLE = "products_fts"
FTS_NAME_COLUMN = "name"
# bm25 weights of the FTS5 columns, in their declared order: name, description, search_text.
FTS_WEIGHTS = (10.0, 1.0, 4.0)
VOCABULARY_BATCH = 1000
TRIGRAM_THRESHOLD = 0.15
TRIGRAM_CANDIDATES = 20
NAMED, OTHER = "named", "other"

SEARCH_DOCUMENTS = sa.table(
    "search_documents",
    sa.column("product_id", sa.Integer),
    sa.column("category_id", sa.Integer),
    sa.column("merchant_id", sa.Integer),
    sa.column("price_amount", sa.Integer),
    sa.column("in_stock", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("document", postgresql.TSVECTOR),
)


class SearchBackend(Protocol):
    """What search needs from a database."""

    def matches(
        self,
        text: bool,
        tier: str | None = None,
        excluding: bool = True,
        newest: int | None = None,
    ) -> sa.Select:
        """Visible products matching the `text_query` parameter (every one without text).

        `tier` NAMED keeps those whose name alone matches, OTHER the rest, None both;
        `excluding` says whether the text excludes words (a name match then proves less);
        `newest` looks only among that many newest products (by created_at, then id), if the
        backend can do so cheaply (a backend may look at all of them).
        """

    def text_parameters(self, terms: TextQuery) -> dict[str, str]:
        """The bound parameters `matches(text=True)` needs for non-empty `terms`."""

    def spelling_candidates(self, session: Session, words: list[str]) -> dict[str, dict[str, int]]:
        """Known words that might be what each word meant, with how many products use them."""

    def refresh_vocabulary(self, session: Session) -> int:
        """Rebuild `search_terms` from the visible products; returns the number of words."""


def backend_for(session: Session) -> SearchBackend:
    """The backend for the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return POSTGRES
    return SQLITE


def tsquery_text(terms: TextQuery) -> str:
    """PostgreSQL to_tsquery syntax for `terms`: `red & shirt:* & (cotton <-> blend) & !wool`."""
    parts = [
        f"{word}:*" if terms.prefix and index == len(terms.words) - 1 else word
        for index, word in enumerate(terms.words)
    ]
    parts += ["(" + " <-> ".join(phrase) + ")" for phrase in terms.phrases]
    parts += [f"!{word}" for word in terms.excluded]
    return " & ".join(parts)


def fts5_match_text(terms: TextQuery) -> str:
    """SQLite FTS5 MATCH syntax: `("red" AND "shirt"* AND "cotton blend") NOT "wool"`."""
    parts = [
        f'"{word}"*' if terms.prefix and index == len(terms.words) - 1 else f'"{word}"'
        for index, word in enumerate(terms.words)
    ]
    parts += ['"' + " ".join(phrase) + '"' for phrase in terms.phrases]
    text = "(" + " AND ".join(parts) + ")"
    for word in terms.excluded:
        text += f' NOT "{word}"'
    return text


def vocabulary_source() -> sa.Select:
    """Name, description and search text of every visible product."""
    return visible_products().with_only_columns(
        Product.name, Product.description, Product.search_text, maintain_column_froms=False
    )


def tsquery() -> sa.ColumnElement:
    """to_tsquery of the `text_query` parameter (rendered as a literal when the statement runs)."""
    return sa.func.to_tsquery(
        sa.cast(sa.literal_column(f"'{TEXT_SEARCH_CONFIG}'"), postgresql.REGCONFIG),
        sa.bindparam("text_query", type_=sa.Text, literal_execute=True),
        type_=postgresql.TSQUERY,
    )


class PostgresSearch:
    """Full-text search on PostgreSQL: the search_documents read model, ts_rank, pg_trgm."""

    def matches(
        self,
        text: bool,
        tier: str | None = None,
        excluding: bool = True,
        newest: int | None = None,
    ) -> sa.Select:
        """Rows of `search_documents`; with text, those whose tsvector matches the query.

        The named tier is found with the name index alone when the text excludes nothing (a
        name holding every word makes the whole document match, phrases included); with
        exclusions the whole document must also match. With `newest`, the rows are read in
        order down the newest index and only that many are looked at.
        """
        documents = SEARCH_DOCUMENTS.c
        if newest is not None:
            documents = (
                sa.select(SEARCH_DOCUMENTS)
                .order_by(documents.created_at.desc(), documents.product_id.desc())
                .limit(newest)
                .subquery("newest_documents")
                .c
            )
        columns = [
            documents.product_id,
            documents.category_id,
            documents.merchant_id,
            documents.price_amount,
            documents.in_stock,
            documents.created_at,
        ]
        if not text:
            return sa.select(*columns)
        # In conditions the planner sees the text (a literal when the statement runs) and
        # estimates how many rows match; for the score it is computed once (an InitPlan).
        query = tsquery()
        score = sa.func.ts_rank(
            documents.document, sa.select(query).scalar_subquery(), type_=sa.Float
        )
        selected = sa.select(*columns, score.label("score"))
        matching = documents.document.bool_op("@@")(query)
        if tier is None:
            return selected.where(matching)
        # The expression of the ix_search_documents_name index: the name's lexemes alone.
        name = sa.func.ts_filter(
            documents.document, sa.literal_column("'{a}'"), type_=postgresql.TSVECTOR
        )
        named = name.bool_op("@@")(query)
        if tier == NAMED:
            return selected.where(named, matching) if excluding else selected.where(named)
        return selected.where(matching, sa.not_(named))

    def text_parameters(self, terms: TextQuery) -> dict[str, str]:
        """The to_tsquery text."""
        return {"text_query": tsquery_text(terms)}

    def spelling_candidates(self, session: Session, words: list[str]) -> dict[str, dict[str, int]]:
        """The known words most similar to each word by trigrams (the word itself when known).

        Transposed letters share few trigrams ("shrit" and "shirt" score 0.2), so the `%`
        threshold is lowered for this transaction and the final choice is left to difflib.
        """
        if not words:
            return {}
        session.execute(
            sa.select(
                sa.func.set_config(
                    "pg_trgm.similarity_threshold", str(TRIGRAM_THRESHOLD), sa.true()
                )
            )
        )
        given = (
            sa.func.unnest(sa.bindparam("words", words, type_=postgresql.ARRAY(sa.Text)))
            .table_valued("word")
            .render_derived(name="given")
        )
        nearest = (
            sa.select(SearchTerm.term, SearchTerm.documents)
            .where(SearchTerm.term.bool_op("%")(given.c.word))
            .order_by(sa.func.similarity(SearchTerm.term, given.c.word).desc(), SearchTerm.term)
            .limit(TRIGRAM_CANDIDATES)
            .lateral("nearest")
        )
        rows = session.execute(
            sa.select(given.c.word, nearest.c.term, nearest.c.documents)
            .select_from(given)
            .join(nearest, sa.true())
        )
        found: dict[str, dict[str, int]] = {word: {} for word in words}
        for word, term, documents in rows:
            found[word][term] = documents
        return found

    def refresh_vocabulary(self, session: Session) -> int:
        """Fill `search_terms` from ts_stat over the visible products' words (`simple` config)."""
        words = sa.func.to_tsvector(
            sa.cast(sa.literal_column(f"'{VOCABULARY_CONFIG}'"), postgresql.REGCONFIG),
            sa.func.concat_ws(" ", Product.name, Product.search_text, Product.description),
        )
        source = str(
            vocabulary_source()
            .with_only_columns(words, maintain_column_froms=True)
            .compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
        )
        shortest, longest = rules.VOCABULARY_WORD_LENGTH
        statistics = sa.func.ts_stat(source).table_valued("word", "ndoc").render_derived()
        session.execute(sa.delete(SearchTerm))
        session.execute(
            sa.insert(SearchTerm).from_select(
                ["term", "documents"],
                sa.select(statistics.c.word, statistics.c.ndoc).where(
                    statistics.c.word.regexp_match(f"^[[:alpha:]]{{{shortest},{longest}}}$")
                ),
            )
        )
        return session.scalar(sa.select(sa.func.count()).select_from(SearchTerm)) or 0


class SqliteSearch:
    """Full-text search on SQLite: FTS5 with the porter stemmer, bm25, difflib."""

    def matches(
        self,
        text: bool,
        tier: str | None = None,
        excluding: bool = True,
        newest: int | None = None,
    ) -> sa.Select:
        """Visible products, joined to their FTS5 hits when there is text (which the named
        tier needs anyway, for the score); `newest` changes nothing, FTS5 is quick enough."""
        selected = visible_products().with_only_columns(
            Product.id.label("product_id"),
            Product.category_id,
            Product.merchant_id,
            Product.price_amount,
            in_stock_condition(Product.id).label("in_stock"),
            Product.created_at,
            maintain_column_froms=True,
        )
        if not text:
            return selected
        table = sa.literal_column(FTS_TABLE)
        fts = sa.table(FTS_TABLE, sa.column("rowid"))
        weights = [sa.literal_column(repr(weight)) for weight in FTS_WEIGHTS]
        hits = (
            sa.select(
                fts.c.rowid.label("product_id"),
                (-sa.func.bm25(table, *weights, type_=sa.Float)).label("score"),
            )
            .where(
                table.op("MATCH")(sa.bindparam("text_query", type_=sa.Text, literal_execute=True))
            )
            .subquery("text_hits")
        )
        selected = selected.join(hits, hits.c.product_id == Product.id).add_columns(hits.c.score)
        if tier is None:
            return selected
        named = Product.id.in_(
            sa.select(fts.c.rowid).where(
                table.op("MATCH")(sa.bindparam("name_query", type_=sa.Text, literal_execute=True))
            )
        )
        return selected.where(named if tier == NAMED else sa.not_(named))

    def text_parameters(self, terms: TextQuery) -> dict[str, str]:
        """The MATCH text, and the same restricted to the name column (the named tier)."""
        text = fts5_match_text(terms)
        return {"text_query": text, "name_query": f"{FTS_NAME_COLUMN} : ({text})"}

    def spelling_candidates(self, session: Session, words: list[str]) -> dict[str, dict[str, int]]:
        """Known words at most two letters longer or shorter than each word, in one query."""
        if not words:
            return {}
        lengths = [len(word) for word in words]
        terms = session.execute(
            sa.select(SearchTerm.term, SearchTerm.documents).where(
                sa.func.length(SearchTerm.term).between(min(lengths) - 2, max(lengths) + 2)
            )
        ).all()
        return {
            word: {term: count for term, count in terms if abs(len(term) - len(word)) <= 2}
            for word in words
        }

    def refresh_vocabulary(self, session: Session) -> int:
        """Split the visible products' text into words in Python and store them with counts."""
        documents: Counter[str] = Counter()
        for name, description, search_text in session.execute(
            vocabulary_source().execution_options(yield_per=VOCABULARY_BATCH)
        ):
            documents.update(rules.vocabulary_words(f"{name} {search_text} {description}"))
        session.execute(sa.delete(SearchTerm))
        rows = [{"term": term, "documents": count} for term, count in documents.items()]
        for start in range(0, len(rows), VOCABULARY_BATCH):
            session.execute(sa.insert(SearchTerm), rows[start : start + VOCABULARY_BATCH])
        return len(rows)


POSTGRES = PostgresSearch()
SQLITE = SqliteSearch()
