"""The admin blueprint, mounted at /admin; every request passes the admin guard first."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from flask_login import current_user

from app.platform.errors import render_error

bp = Blueprint("admin", __name__, url_prefix="/admin")

NAVIGATION = (("admin.merchants", "Merchants"),)


@bp.before_request
def require_admin():
    """Anonymous visitors go to sign in; signed-in users who are not admins get a 403."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not current_user.is_admin:
        return render_error(403, "This area is for the marketplace's admins.")
    return None


@bp.after_request
def forbid_caching(response: Response) -> Response:
    """Admin pages are private and carry CSRF tokens: never stored in any cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def admin_context() -> dict:
    """The navigation: the areas that exist so far."""
    return {
        "admin_nav": [
            (endpoint, label)
            for endpoint, label in NAVIGATION
            if endpoint in current_app.view_functions
        ]
    }
