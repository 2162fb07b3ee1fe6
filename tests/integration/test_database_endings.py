"""How requests end their database work: read-only pages outside a transaction, reads by COMMIT,
anything else by ROLLBACK."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from app.catalog.models import Category
from app.database import (
    WriteInReadOnlyMode,
    db,
    end_reads_with_commit,
    read_without_transaction,
)
from tests.support.factories import make_category, make_product


@contextmanager
def endings(engine: sa.Engine) -> Iterator[list[str]]:
    """The transaction endings ("commit", "rollback") the engine sees inside the block."""
    seen: list[str] = []

    def on_commit(_connection) -> None:
        seen.append("commit")

    def on_rollback(_connection) -> None:
        seen.append("rollback")

    sa.event.listen(engine, "commit", on_commit)
    sa.event.listen(engine, "rollback", on_rollback)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "commit", on_commit)
        sa.event.remove(engine, "rollback", on_rollback)


@contextmanager
def statement_modes(engine: sa.Engine) -> Iterator[list[bool]]:
    """For each statement sent inside the block, whether its connection was read-only."""
    modes: list[bool] = []

    def record(connection, _cursor, _statement, _parameters, _context, _many) -> None:
        modes.append(bool(connection.get_execution_options().get("read_only")))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield modes
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def ending_of(app, work: Callable[[], object], exc: BaseException | None = None) -> list[str]:
    """The endings seen when a request does `work` and is torn down as the app does it."""
    with app.test_request_context("/"), endings(db.engine) as seen:
        work()
        end_reads_with_commit(exc)
        db.session.remove()
    return seen


def select_categories() -> None:
    db.session.execute(sa.select(Category.id)).all()


def category_names() -> list[str]:
    """Category names as committed, read on a connection of its own."""
    with db.engine.connect() as connection:
        return list(connection.scalars(sa.select(Category.name).order_by(Category.name)))


@pytest.mark.parametrize("page", ["/", "/c/shirts", "/p/{slug}", "/sitemap.xml"])
def test_storefront_pages_read_outside_a_transaction(client, page):
    product = make_product(category=make_category("Shirts"))
    db.session.commit()
    url = page.format(slug=product.slug)

    with statement_modes(db.engine) as modes:
        response = client.get(url)

    assert response.status_code == 200
    assert modes and all(modes)


def test_a_write_in_read_only_mode_raises_and_writes_nothing(database):
    make_category("Kept")
    database.commit()
    read_without_transaction(database)
    database.execute(sa.select(Category.id)).all()

    with pytest.raises(WriteInReadOnlyMode):
        database.execute(sa.update(Category).values(name="Changed"))

    assert category_names() == ["Kept"]


def test_read_only_mode_ends_with_the_session(database):
    read_without_transaction(database)
    database.execute(sa.select(Category.id)).all()
    database.remove()

    make_category("Written")
    database.commit()

    assert category_names() == ["Written"]


def test_a_request_that_only_read_ends_with_commit(app, database):
    make_category("Shirts")
    database.commit()
    assert ending_of(app, select_categories) == ["commit"]


def test_a_request_that_wrote_without_committing_is_rolled_back(app, database):
    seen = ending_of(
        app, lambda: db.session.execute(sa.insert(Category).values(name="Stray", slug="stray"))
    )

    assert seen == ["rollback"]
    assert category_names() == []


def test_pending_orm_changes_are_never_committed_at_teardown(app, database):
    def read_then_add() -> None:
        select_categories()
        db.session.add(Category(name="Pending", slug="pending"))

    assert "commit" not in ending_of(app, read_then_add)
    assert category_names() == []


def test_a_request_that_failed_is_rolled_back(app, database):
    seen = ending_of(app, select_categories, RuntimeError("the view failed"))

    assert seen == ["rollback"]


def test_a_transaction_the_database_aborted_is_rolled_back(app, database, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite reports no failed-transaction state")

    def fail_in_the_database() -> None:
        with pytest.raises(sa.exc.DBAPIError):
            db.session.connection().exec_driver_sql("SELECT 1/0")

    assert ending_of(app, fail_in_the_database) == ["rollback"]


def test_a_commit_after_writing_lets_later_reads_commit_too(app, database):
    def write_commit_then_read() -> None:
        db.session.execute(sa.insert(Category).values(name="Saved", slug="saved"))
        db.session.commit()
        select_categories()

    assert ending_of(app, write_commit_then_read) == ["commit", "commit"]
    assert category_names() == ["Saved"]
