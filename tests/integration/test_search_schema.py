"""The 0002 migration's search objects: kept in sync, invisible to autogenerate, reversible."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app.database import db
from app.search.rules import parse_search_args
from app.search.schema import include_name, include_object, is_search_object
from app.search.services import search_products
from tests.support.factories import make_category, make_product
from tests.support.fixtures import truncate_all

SEARCH_NAMES = ("search_vector", "products_fts", "search_terms", "search_documents")


def fts_is_consistent(session) -> bool:
    """SQLite: FTS5's own check of the index against the products table."""
    try:
        session.execute(
            sa.text("INSERT INTO products_fts(products_fts, rank) VALUES ('integrity-check', 1)")
        )
    except sa.exc.DatabaseError:
        return False
    finally:
        session.rollback()
    return True


def search_differences(hooks: bool) -> list:
    """Autogenerate's differences between the models and the database that concern search."""
    options = {"compare_type": True, "render_as_batch": True}
    if hooks:
        options.update(include_name=include_name, include_object=include_object)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=options)
        differences = compare_metadata(context, db.metadata)
    return [diff for diff in differences if any(name in repr(diff) for name in SEARCH_NAMES)]


def test_autogenerate_leaves_the_search_objects_alone(database):
    # then
    assert search_differences(hooks=False)
    assert search_differences(hooks=True) == []


def test_is_search_object():
    assert is_search_object("products_fts_idx", "table")
    assert is_search_object("search_documents", "table")
    assert is_search_object("ix_products_search_vector", "index")
    assert is_search_object("search_vector", "column", "products")
    assert not is_search_object("products", "table")
    assert not is_search_object("search_vector", "column", "orders")
    assert not is_search_object(None, "index")


def test_the_index_stays_consistent_through_changes_and_truncation(app, database, is_postgres):
    # given
    product = make_product(name="Oxford Shirt", attributes={"Material": "Cotton"})
    product.name = "Flannel Shirt"
    product.description = "Warm."
    database.commit()
    make_product(name="Spare Jacket")
    consistent_before = is_postgres or fts_is_consistent(database)

    # when
    truncate_all(app)
    make_product(name="Truncation Survivor")

    # then
    assert consistent_before
    assert is_postgres or fts_is_consistent(database)
    assert found(database, "flannel") == []
    assert found(database, "jacket") == []
    assert found(database, "survivor") == ["Truncation Survivor"]


def found(session, text: str) -> list[str]:
    """Names of the products a search for `text` finds."""
    results = search_products(session, parse_search_args({"q": text}))
    return [card.name for card in results.products.items]


def test_the_generated_vector_weighs_name_attributes_description(database, is_postgres):
    # given
    make_product(
        name="Oxford",
        description="Office",
        attributes={"Material": "Cotton"},
        category=make_category("Shirts"),
    )

    # when
    if is_postgres:
        found = database.scalar(sa.text("SELECT search_vector::text FROM products"))
    else:
        found = database.scalar(
            sa.text("SELECT name || '|' || search_text || '|' || description FROM products_fts")
        )

    # then
    if is_postgres:
        assert found == "'cotton':3B 'offic':4C 'oxford':1A 'shirt':2B"
    else:
        assert found == "Oxford|Shirts Cotton|Office"


def test_the_migration_goes_down_and_up_again(scratch_app):
    # given
    directory = str(scratch_app.config["MIGRATIONS_DIR"])

    with scratch_app.app_context():
        # when
        upgrade(directory=directory, revision="0002")
        made = search_object_names()
        downgrade(directory=directory, revision="0001")
        left = search_object_names()
        upgrade(directory=directory, revision="0002")
        remade = search_object_names()
        db.engine.dispose()

    # then
    assert "ix_stock_items_in_stock" in made and "search_terms" in made
    assert made == remade
    assert left == set()


def search_object_names() -> set[str]:
    """Names of the search objects present in the database."""
    inspector = sa.inspect(db.engine)
    tables = inspector.get_table_names()
    names = {name for name in tables if name == "search_terms" or is_search_object(name, "table")}
    names |= {
        column["name"]
        for column in inspector.get_columns("products")
        if is_search_object(column["name"], "column", "products")
    }
    names |= {
        index["name"]
        for table in ("products", "search_terms", "stock_items")
        if table in tables
        for index in inspector.get_indexes(table)
        if is_search_object(index["name"], "index")
    }
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "postgresql":
            names |= set(
                connection.scalars(
                    sa.text("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")
                )
            )
        else:
            names |= set(
                connection.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            )
    return names


def read_model_objects() -> set[str]:
    """The 0004 read model's table, triggers and the products index it replaces, as found."""
    with db.engine.connect() as connection:
        if db.engine.dialect.name != "postgresql":
            return set()
        return set(
            connection.scalars(
                sa.text(
                    "SELECT relname FROM pg_class WHERE relname IN "
                    "('search_documents', 'ix_products_search_vector') "
                    "UNION ALL SELECT tgname FROM pg_trigger WHERE tgname LIKE 'search_documents%'"
                )
            )
        )


def test_the_read_model_migration_fills_it_and_goes_down_and_up_again(scratch_app, is_postgres):
    # given: a catalogue (made on today's schema, taken down to before the read model existed)
    directory = str(scratch_app.config["MIGRATIONS_DIR"])
    with scratch_app.app_context():
        upgrade(directory=directory)
        make_product(name="Early Lantern")
        make_product(name="Draft Lantern", published=False)
        db.session.commit()
        db.session.remove()
        downgrade(directory=directory, revision="0003")

        # when
        upgrade(directory=directory, revision="0004")
        made = read_model_objects()
        found_after_upgrade = found(db.session, "lantern")
        db.session.remove()
        downgrade(directory=directory, revision="0003")
        left = read_model_objects()
        upgrade(directory=directory, revision="0004")
        remade = read_model_objects()
        found_after_redo = found(db.session, "lantern")
        db.session.remove()
        db.engine.dispose()

    # then
    assert found_after_upgrade == found_after_redo == ["Early Lantern"]
    if is_postgres:
        assert (
            made
            == remade
            == {
                "search_documents",
                "search_documents_product",
                "search_documents_merchant",
                "search_documents_stock_added",
                "search_documents_stock_turned",
                "search_documents_stock_removed",
            }
        )
        assert left == {"ix_products_search_vector"}
