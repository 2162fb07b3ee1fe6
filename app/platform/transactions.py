"""Run a unit of work as one transaction, again from the start if the database had to abort it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

T = TypeVar("T")

# PostgreSQL aborts one of two transactions that wait on each other (deadlock_detected) or that
# cannot both be serialised (serialization_failure); trying the loser again is the documented fix.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def is_retryable(error: OperationalError) -> bool:
    """Whether the database aborted the transaction only because of a concurrent one."""
    return getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def committed(session: Session, work: Callable[[], T], attempts: int = 3) -> T:
    """`work()` then commit; after a deadlock or serialization failure, roll back and run it
    again (it must be safe to repeat, e.g. idempotent by a token). Other errors propagate."""
    for _ in range(attempts - 1):
        try:
            return _once(session, work)
        except OperationalError as error:
            if not is_retryable(error):
                raise
    return _once(session, work)


def _once(session: Session, work: Callable[[], T]) -> T:
    try:
        result = work()
        session.commit()
    except OperationalError:
        session.rollback()
        raise
    return result
