"""Search objects the migrations make outside the models, hidden from Alembic autogenerate.

The models cannot declare them (a generated tsvector column, an FTS5 virtual table and its shadow
tables, indexes with operator classes, the PostgreSQL-only `search_documents` read model of 0004
with its expression index and triggers) or do not own them (the partial in-stock index on
stock_items, which serves the stock checks), so without these hooks `flask db check` would want
to drop them. migrations/env.py passes both hooks to `context.configure`.
"""

from __future__ import annotations

FTS_TABLE_PREFIX = "products_fts"
TABLES = frozenset({"search_documents"})
INDEXES = frozenset(
    {"ix_products_search_vector", "ix_search_terms_term_trgm", "ix_stock_items_in_stock"}
)
COLUMNS = frozenset({("products", "search_vector")})


def is_search_object(name: str | None, type_: str, table_name: str | None = None) -> bool:
    """Whether a database object named `name` (of Alembic kind `type_`) belongs to search."""
    if name is None:
        return False
    if type_ == "table":
        return name.startswith(FTS_TABLE_PREFIX) or name in TABLES
    if type_ == "index":
        return name in INDEXES
    if type_ == "column":
        return (table_name, name) in COLUMNS
    return False


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic `include_name` hook: skip the search tables before they are reflected."""
    return not (type_ == "table" and is_search_object(name, type_))


def include_object(object_, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    """Alembic `include_object` hook: skip the search column and indexes found in the database."""
    if not reflected or compare_to is not None:
        return True
    table = getattr(object_, "table", None)
    return not is_search_object(name, type_, getattr(table, "name", None))
