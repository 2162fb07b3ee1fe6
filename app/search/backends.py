"""The database-specific half of search: text matching, relevance and the spelling vocabulary.

PostgreSQL matches `products.search_vector` (a stored generated tsvector with a GIN index, made by
the 0002 migration) against a tsquery, ranks with ts_rank_cd, and corrects spelling with pg_trgm
over `search_terms`. SQLite matches the FTS5 table `products_fts` (kept in sync by triggers), ranks
with bm25 and corrects spelling with difflib over `search_terms`.

Neither the tsvector column nor the FTS5 table is part of the models, so they are named here with
literal SQL; every value that comes from the shopper travels as a bound parameter, and the query
syntax around it is built from words made only of letters and digits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.catalog.services import visible_products
from app.search import rules
from app.search.models import SearchTerm
from app.search.rules import TextQuery

TEXT_SEARCH_CONFIG = "english"
VOCABULARY_CONFIG = "simple"
FTS_TABLE = "products_fts"
# bm25 weights of the FTS5 columns, in their declared order: name, description, search_text.
FTS_WEIGHTS = (10.0, 1.0, 4.0)
VOCABULARY_BATCH = 1000
TRIGRAM_THRESHOLD = 0.15
TRIGRAM_CANDIDATES = 20


@dataclass(frozen=True)
class TextMatch:
    """How to narrow a query over products to a text search, and a score (higher is better)."""

    join: tuple[sa.FromClause, sa.ColumnElement[bool]] | None
    condition: sa.ColumnElement[bool] | None
    score: sa.ColumnElement[float]

    def apply(self, statement: sa.Select) -> sa.Select:
        """`statement` (a select over products) restricted to the matching products."""
        if self.join is not None:
            statement = statement.join(*self.join)
        if self.condition is not None:
            statement = statement.where(self.condition)
        return statement


class SearchBackend(Protocol):
    """What search needs from a database."""

    def text_match(self, terms: TextQuery) -> TextMatch:
        """Matching and scoring for non-empty `terms`."""

    def spelling_candidates(self, session: Session, words: list[str]) -> dict[str, dict[str, int]]:
        """Known words that might be what each word meant, with how many products use them."""

    def refresh_vocabulary(self, session: Session) -> int:
        """Rebuild `search_terms` from the visible products; returns the number of words."""


def backend_for(session: Session) -> SearchBackend:
    """The backend for the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return PostgresSearch()
    return SqliteSearch()


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


class PostgresSearch:
    """Full-text search on PostgreSQL: tsvector + GIN, ts_rank_cd, pg_trgm."""

    def text_match(self, terms: TextQuery) -> TextMatch:
        """`search_vector @@ to_tsquery(...)`, scored by ts_rank_cd (name words weigh most)."""
        query = sa.func.to_tsquery(
            sa.cast(sa.literal_column(f"'{TEXT_SEARCH_CONFIG}'"), postgresql.REGCONFIG),
            sa.bindparam("text_query", tsquery_text(terms), type_=sa.Text),
        )
        vector = sa.literal_column("products.search_vector", postgresql.TSVECTOR)
        return TextMatch(
            join=None,
            condition=vector.bool_op("@@")(query),
            score=sa.func.ts_rank_cd(vector, query, type_=sa.Float),
        )

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

    def text_match(self, terms: TextQuery) -> TextMatch:
        """Join the FTS5 hits; score is minus bm25 (whose best is the lowest)."""
        fts = sa.table(FTS_TABLE, sa.column("rowid"))
        table = sa.literal_column(FTS_TABLE)
        weights = [sa.literal_column(repr(weight)) for weight in FTS_WEIGHTS]
        hits = (
            sa.select(
                fts.c.rowid.label("product_id"),
                (-sa.func.bm25(table, *weights, type_=sa.Float)).label("score"),
            )
            .where(table.op("MATCH")(sa.bindparam("text_query", fts5_match_text(terms))))
            .subquery("text_hits")
        )
        return TextMatch(
            join=(hits, hits.c.product_id == Product.id), condition=None, score=hits.c.score
        )

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
