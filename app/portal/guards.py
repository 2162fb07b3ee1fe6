"""Who may use the portal, and for which merchant: resolved once per request, before any view."""

from __future__ import annotations

from flask import current_app, g
from flask_login import current_user
from htmx_flask import request

from app.database import db
from app.merchants import services as merchants
from app.merchants.models import Merchant
from app.platform.errors import render_error

SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))


def current_merchant() -> Merchant:
    """The merchant the signed-in staff member works for (set by `require_staff`)."""
    return g.portal_merchant


def is_owner() -> bool:
    """Whether the signed-in staff member owns the merchant (owners manage the staff)."""
    return g.portal_is_owner


def require_staff():
    """Before every portal request: anonymous visitors go to sign in, users who are not staff of
    a merchant get a 403, and staff of a merchant that may not sell can look but change nothing."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    membership = merchants.staff_membership(db.session, current_user.id)
    if membership is None:
        return render_error(403, "This area is for the staff of a shop on the marketplace.")
    g.portal_merchant = membership.merchant
    g.portal_is_owner = membership.is_owner
    if request.method not in SAFE_METHODS and not membership.merchant.is_active:
        return render_error(403, read_only_reason(membership.merchant))
    return None


def read_only_reason(merchant: Merchant) -> str:
    """Why a merchant's staff can look but change nothing."""
    return merchants.read_only_reason(merchant) or "This shop cannot make changes right now."
