"""Every admin page module, imported so its routes are on the blueprint."""

from __future__ import annotations

from app.admin import merchants  # noqa: F401
from app.admin.blueprint import bp

__all__ = ["bp"]
