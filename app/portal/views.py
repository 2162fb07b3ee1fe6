"""Every portal page module, imported so its routes are on the blueprint."""

from __future__ import annotations

from app.portal import (
    dashboard,  # noqa: F401
    images,  # noqa: F401
    imports,  # noqa: F401
    inventory,  # noqa: F401
    products,  # noqa: F401
    staff,  # noqa: F401
)
from app.portal.blueprint import bp

__all__ = ["bp"]
