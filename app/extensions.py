"""Flask extensions, created unbound; `create_app` binds them."""

from __future__ import annotations

import fakeredis
import redis
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_session import Session
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

from app.database import (
    db,
    end_reads_with_commit,
    note_writes,
    replace_connections_the_server_closed,
    use_real_sqlite_transactions,
)

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()
server_session = Session()
limiter = Limiter(key_func=get_remote_address)

_EMBEDDED_REDIS = fakeredis.FakeServer()


def connect_redis(url: str) -> redis.Redis:
    """A Redis client for REDIS_URL, or one on the process-wide embedded fakeredis server."""
    if url:
        return redis.Redis.from_url(url)
    return fakeredis.FakeRedis(server=_EMBEDDED_REDIS)


def register_extensions(app: Flask) -> None:
    """Bind every extension to the app."""
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            use_real_sqlite_transactions(db.engine)
        else:
            replace_connections_the_server_closed(db.engine)
        note_writes(db.engine)
    app.teardown_appcontext(end_reads_with_commit)
    migrate.init_app(
        app,
        db,
        directory=str(app.config["MIGRATIONS_DIR"]),
        render_as_batch=True,
        compare_type=True,
    )
    app.extensions["redis"] = connect_redis(app.config["REDIS_URL"])
    app.config.setdefault("SESSION_TYPE", "redis")
    app.config.setdefault("SESSION_REDIS", app.extensions["redis"])
    app.config.setdefault("SESSION_KEY_PREFIX", "session:")
    server_session.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


def redis_client(app: Flask) -> redis.Redis:
    """The app's Redis connection (real or embedded)."""
    return app.extensions["redis"]
