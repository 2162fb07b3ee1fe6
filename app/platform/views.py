"""Health checks and robots.txt."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify, url_for

from app.database import db
from app.extensions import limiter, redis_client

bp = Blueprint("platform", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Liveness: the process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """Readiness: the database and Redis answer."""
    checks = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except sa.exc.SQLAlchemyError:
        checks["database"] = "unavailable"
    try:
        redis_client(current_app).ping()
        checks["redis"] = "ok"
    except Exception:
        checks["redis"] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503


@bp.get("/robots.txt")
def robots_txt():
    """Let crawlers in, keep them out of account and cart pages, point at the sitemap."""
    lines = [
        "User-agent: *",
        "Disallow: /account/",
        "Disallow: /cart",
        "Disallow: /checkout",
        f"Sitemap: {url_for('catalog.sitemap', _external=True)}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
