"""Count the SQL statements a block of code sends, to pin hot pages to a constant number."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa


@dataclass
class QueryLog:
    """The statements seen so far, in order."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many statements were sent."""
        return len(self.statements)

    def __str__(self) -> str:
        return "\n".join(f"{index}. {sql}" for index, sql in enumerate(self.statements, 1))


@contextmanager
def count_queries(engine: sa.Engine) -> Iterator[QueryLog]:
    """Record every statement sent through `engine` inside the block.

        with count_queries(db.engine) as queries:
            client.get("/search?q=shirt")
        assert queries.count == 6, queries
    """
    log = QueryLog()

    def record(connection, cursor, statement, parameters, context, executemany) -> None:
        log.statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
