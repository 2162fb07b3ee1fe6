"""The merchant dashboard at /portal/: sales over time, orders awaiting fulfilment, top products
and low stock, for the signed-in staff member's merchant only."""

from __future__ import annotations

from flask import current_app, url_for
from htmx_flask import request

from app.database import db
from app.orders import reports
from app.platform.errors import render_error
from app.platform.htmx import render_page_or_block
from app.portal.blueprint import bp
from app.portal.guards import current_merchant

BAD_RANGE = "Choose a period of " + ", ".join(map(str, reports.RANGE_PRESETS[:-1]))
BAD_RANGE += f" or {reports.RANGE_PRESETS[-1]} days."


@bp.get("/")
def dashboard():
    """The dashboard for the last 7, 30 or 90 days (`?days=`); htmx gets only its body."""
    days = request.args.get("days", str(reports.DEFAULT_RANGE))
    if days not in {str(preset) for preset in reports.RANGE_PRESETS}:
        return render_error(400, BAD_RANGE)
    report = reports.merchant_dashboard(
        db.session,
        current_merchant().id,
        days=int(days),
        currency=current_app.config["DEFAULT_CURRENCY"],
    )
    low_stock_url = (
        url_for("portal.inventory", state="low")
        if "portal.inventory" in current_app.view_functions
        else None
    )
    return render_page_or_block(
        "portal/dashboard.html",
        "dashboard_body",
        report=report,
        ranges=reports.RANGE_PRESETS,
        low_stock_url=low_stock_url,
    )
