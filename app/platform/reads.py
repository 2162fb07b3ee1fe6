"""Pages that only read run their statements outside a transaction."""

from __future__ import annotations

import functools
from collections.abc import Callable

from app.database import db, read_without_transaction


def read_only(view: Callable) -> Callable:
    """A view that only reads: no BEGIN/COMMIT round trips, and any write raises.

    For storefront pages, whose statements need no common snapshot (see
    `app.database.read_without_transaction`).
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        read_without_transaction(db.session())
        return view(*args, **kwargs)

    return wrapper
