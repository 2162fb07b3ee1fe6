"""Marketplace: the application factory."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask app from environment settings, overridden by `test_config` if given."""
    from app.config import load_settings

    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
    )
    app.config.update(load_settings(Path(app.instance_path)))
    app.config["MIGRATIONS_DIR"] = PROJECT_ROOT / "migrations"
    if test_config:
        app.config.update(test_config)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(days=app.config["SESSION_LIFETIME_DAYS"])
    load_models()
    register_extensions(app)
    register_blueprints(app)
    register_platform(app)
    register_commands(app)
    return app


def load_models() -> None:
    """Import every context's models so the metadata (and Alembic) sees the whole schema."""
    import app.accounts.models
    import app.catalog.models
    import app.checkout.models
    import app.inventory.models
    import app.merchants.models
    import app.notifications.models
    import app.orders.models
    import app.payments.models
    import app.platform.models
    import app.search.models  # noqa: F401


def register_extensions(app: Flask) -> None:
    """Bind Flask extensions."""
    from app.extensions import register_extensions as bind

    bind(app)


def register_blueprints(app: Flask) -> None:
    """Mount one blueprint per bounded context (integer URL parts bounded to database ids)."""
    from app.accounts.views import bp as accounts
    from app.admin.views import bp as admin
    from app.cart.views import bp as cart
    from app.catalog.views import bp as catalog
    from app.checkout.views import bp as checkout
    from app.media.views import bp as media
    from app.merchants.views import bp as merchants
    from app.orders.views import bp as orders
    from app.payments.views import bp as payments
    from app.platform.security import bound_url_integers
    from app.platform.views import bp as platform
    from app.portal.views import bp as portal
    from app.search.views import bp as search

    bound_url_integers(app)
    for blueprint in (platform, catalog, search, accounts, media, cart, payments, checkout, orders):
        app.register_blueprint(blueprint)
    app.register_blueprint(merchants)
    app.register_blueprint(portal)
    app.register_blueprint(admin)


def register_platform(app: Flask) -> None:
    """Cross-cutting concerns: security headers, request ids, error pages, template helpers,
    compressed responses, emails handed to their send job after commit."""
    from app.notifications import dispatch
    from app.platform import compression, setup

    setup.init_app(app)
    dispatch.install()
    compression.init_app(app)


def register_commands(app: Flask) -> None:
    """CLI commands: `flask create-admin`, `flask seed-demo`."""
    from app.accounts.commands import create_admin
    from app.demo.commands import seed_demo

    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
