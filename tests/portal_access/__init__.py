"""Who reaches which portal URL: one `RouteCase` per portal route and method.

Each area lists its routes in a `cases_<area>.py` module of this package (a `CASES` list);
`test_portal_access.py` fails for any /portal route that no case covers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.merchants.models import Merchant

OwnedValues = Callable[[Session, Merchant], dict]


@dataclass(frozen=True)
class RouteCase:
    """A portal route and method; `owned` makes an object of the given merchant (a product, an
    import...) and returns the URL values naming it, for routes that name one."""

    endpoint: str
    method: str = "GET"
    owned: OwnedValues | None = None
    data: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint}"
