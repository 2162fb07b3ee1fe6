"""The declarative base, the Flask-SQLAlchemy handle and column types shared by every context."""

from __future__ import annotations

import select
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Session, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base class of every model."""

    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)


def use_real_sqlite_transactions(engine: sa.Engine) -> None:
    """Make SQLite savepoints part of a real transaction.

    pysqlite opens a transaction only before a data-changing statement, not before SAVEPOINT: a
    savepoint taken first would become the outermost transaction, and its work would be
    committed at RELEASE even if the caller then rolls back. Starting the transaction explicitly
    when a savepoint finds none keeps "roll back" meaning roll back.
    """

    @sa.event.listens_for(engine, "savepoint")
    def _begin_before_savepoint(connection: sa.Connection, _name: str) -> None:
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN")


class WriteInReadOnlyMode(RuntimeError):
    """A statement that is not a SELECT ran on a connection put in read-only mode."""


READ_ONLY = {"isolation_level": "AUTOCOMMIT", "read_only": True}


def read_without_transaction(session: Session) -> None:
    """Run this session's statements from now on each on its own, outside a transaction.

    For pages that only read: it saves the BEGIN and COMMIT round trips of a transaction and
    never ends in the ROLLBACK that makes psycopg drop its prepared statements. The reads of a
    page then see no common snapshot, so use it where that cannot matter. Any statement but a
    SELECT raises `WriteInReadOnlyMode` (nothing is written). Call it before the session's
    first statement; afterwards the session already holds a transaction and SQLAlchemy warns.
    """
    session.connection(execution_options=READ_ONLY)


def replace_connections_the_server_closed(engine: sa.Engine) -> None:
    """Before the pool hands out a PostgreSQL connection, replace it if the server has hung up.

    A restart of PostgreSQL (or an administrator ending sessions) closes the server's end of
    every pooled connection; the first statement on each would fail and its request answer 500.
    An idle connection has nothing to read, so a readable socket means the server said goodbye
    (or, harmlessly, something unasked for): the pool opens a fresh connection instead. This is
    a poll of the socket, a microsecond, where `pool_pre_ping` costs a round trip to the server
    on every checkout. A server that vanished without closing (a dead host) is not seen here;
    `pool_recycle` bounds how long such connections are kept.
    """

    @sa.event.listens_for(engine, "checkout")
    def _replace_if_closed(dbapi_connection, _record, _proxy) -> None:
        if server_hung_up(dbapi_connection):
            raise sa.exc.DisconnectionError("the server closed this pooled connection")


def server_hung_up(dbapi_connection) -> bool:
    """Whether an idle psycopg connection is closed or has bytes waiting to be read."""
    if dbapi_connection.closed:
        return True
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


def note_writes(engine: sa.Engine) -> None:
    """Mark a connection's transaction as written to by any statement that is not a SELECT,
    and refuse such statements on a connection in read-only mode.

    `end_reads_with_commit` uses the mark; it is cleared whenever the transaction ends.
    """

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _mark(connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        if statement.lstrip()[:6].upper() == "SELECT":
            return
        if connection.get_execution_options().get("read_only"):
            raise WriteInReadOnlyMode(statement.split(None, 1)[0])
        connection.info["wrote"] = True

    @sa.event.listens_for(engine, "commit")
    @sa.event.listens_for(engine, "rollback")
    def _clear(connection) -> None:
        if not connection.invalidated:  # a lost connection keeps no info (and would raise)
            connection.info.pop("wrote", None)


def end_reads_with_commit(exc: BaseException | None) -> None:
    """End a request's transaction with COMMIT when it only read, leaving the rest to rollback.

    For a transaction that only read, COMMIT and ROLLBACK mean the same thing, but psycopg
    forgets its prepared statements at every ROLLBACK (and deallocates them on the server),
    so pages ended by a rollback are planned afresh on every request. Any write, a pending
    ORM change, an error or a failed transaction keeps the usual rollback (Flask-SQLAlchemy's
    teardown, which runs after this one). A session reading outside a transaction (see
    `read_without_transaction`), or one whose connection failed or was lost, has nothing to end.
    """
    session = db.session()
    if exc is not None or not session.in_transaction() or has_changes(session):
        return
    try:
        connection = session.connection()
    except sa.exc.DBAPIError:
        return  # the database could not be reached: there is nothing to end
    if connection.get_execution_options().get("read_only"):
        return
    if connection.invalidated or connection.info.get("wrote") or not healthy(connection):
        return
    try:
        session.commit()
    except sa.exc.DBAPIError:
        session.rollback()


def has_changes(session: Session) -> bool:
    """Whether the session holds ORM changes not yet flushed."""
    return bool(session.new or session.dirty or session.deleted)


def healthy(connection: sa.Connection) -> bool:
    """False when the database reports the transaction failed (psycopg's status), else True."""
    info = getattr(connection.connection.dbapi_connection, "info", None)
    status = getattr(info, "transaction_status", None)
    return status is None or status.name in ("IDLE", "INTRANS")
