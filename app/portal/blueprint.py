"""The portal's blueprint, mounted at /portal; every request passes the staff guard first."""

from __future__ import annotations

from flask import Blueprint, current_app, g, request, url_for

from app.portal.guards import current_merchant, is_owner, read_only_reason, require_staff

bp = Blueprint("portal", __name__, url_prefix="/portal")
bp.before_request(require_staff)

NAVIGATION = (
    ("portal.dashboard", "Dashboard", False),
    ("portal.products", "Products", False),
    ("portal.inventory", "Inventory", False),
    ("portal.imports", "Import and export", False),
    ("portal.staff", "Staff", True),
)


@bp.context_processor
def portal_context() -> dict:
    """The merchant, the navigation (the areas this member may open) and the read-only notice;
    nothing for a request the guard refused (its error page uses the storefront's base)."""
    if "portal_merchant" not in g:
        return {}
    merchant = current_merchant()
    owner = is_owner()
    entries = [
        (endpoint, label)
        for endpoint, label, owners_only in NAVIGATION
        if endpoint in current_app.view_functions and (owner or not owners_only)
    ]
    current_area = (request.endpoint or "").split("_")[0]
    return {
        "merchant": merchant,
        "portal_home": url_for(entries[0][0]) if entries else url_for("catalog.home"),
        "portal_owner": owner,
        "portal_nav": entries,
        "portal_area": current_area,
        "read_only_notice": None if merchant.is_active else read_only_reason(merchant),
    }
