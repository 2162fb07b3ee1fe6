"""A transaction the database aborted for a concurrent one is run again; other errors are not."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from app.platform.transactions import committed


class FakeSession:
    def __init__(self):
        self.commits = 0
        self.rollbacks = 0

    def commit(self):
        self.commits += 1

    def rollback(self):
        self.rollbacks += 1


class DatabaseError(Exception):
    def __init__(self, sqlstate: str):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def failing(times: int, sqlstate: str):
    calls = []

    def work():
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("COMMIT", {}, DatabaseError(sqlstate))
        return "order"

    return work, calls


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_deadlock_victim_is_run_again(sqlstate):
    session = FakeSession()
    work, calls = failing(2, sqlstate)
    assert committed(session, work) == "order"
    assert (len(calls), session.rollbacks, session.commits) == (3, 2, 1)


def test_it_gives_up_after_its_attempts():
    session = FakeSession()
    work, calls = failing(3, "40P01")
    with pytest.raises(OperationalError):
        committed(session, work)
    assert (len(calls), session.rollbacks) == (3, 3)


def test_other_database_errors_are_not_retried():
    session = FakeSession()
    work, calls = failing(1, "57014")
    with pytest.raises(OperationalError):
        committed(session, work)
    assert len(calls) == 1
