"""Fixtures shared by tests/ and e2e/: the app on a migrated database, a clean slate per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from app import create_app
from app.database import db
from app.extensions import limiter, redis_client
from app.platform import outbox as platform_outbox
from tests.support import services


@pytest.fixture(scope="session")
def backing_services(tmp_path_factory) -> Iterator[dict]:
    """Database and Redis URLs for this run, with the schema built by the real migrations."""
    postgres = services.database_url()
    if postgres:
        database = services.recreate_postgres_database(postgres)
    else:
        database = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    yield {"database": database, "redis": services.redis_url()}
    if postgres:
        services.drop_postgres_database(postgres)


def settings_for_tests(backing_services: dict, instance: Path, **overrides) -> dict:
    """App config for tests on the run's database and Redis, files under `instance`."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": backing_services["database"],
        "REDIS_URL": backing_services["redis"],
        "JOBS_INLINE": True,
        "JOB_RETRY_SECONDS": (),
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        "MEDIA_ROOT": str(instance / "media"),
        "MAIL_OUTBOX_DIR": str(instance / "outbox"),
        "ACCESS_LOG": False,
        "SERVER_NAME": None,
        "SITE_URL": "http://localhost",
        **overrides,
    }


@pytest.fixture(scope="session")
def app(backing_services, tmp_path_factory):
    """The app under test; the schema comes from `flask db upgrade`, as in production."""
    instance = Path(tmp_path_factory.mktemp("instance"))
    app = create_app(settings_for_tests(backing_services, instance))
    app.test_client_class = SeparateRequestsClient
    with app.app_context():
        upgrade(directory=str(app.config["MIGRATIONS_DIR"]))
    return app


class SeparateRequestsClient(FlaskClient):
    """Each request in its own app context, as in production: a fresh `g` and DB session.

    Without it, requests reuse the test's app context, so `g` (and Flask-Login's cached user)
    would leak from one client to another.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def truncate_all(app) -> None:
    """Empty every table (fast on both dialects) and reset the in-process caches."""
    with app.app_context():
        tables = [table.name for table in reversed(db.metadata.sorted_tables)]
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                db.session.execute(sa.text(f"DELETE FROM {name}"))
        db.session.commit()
        redis_client(app).flushdb()
    app.extensions.get("marketplace_cache", {}).clear()


@pytest.fixture()
def database(app):
    """A clean database for one test, inside an app context; yields the session."""
    truncate_all(app)
    with app.app_context():
        yield db.session
        db.session.remove()


@pytest.fixture()
def client(app, database):
    """A test client on a clean database."""
    return app.test_client()


@pytest.fixture()
def outbox(app) -> Path:
    """The file sender's folder, emptied: each test sees only the emails it caused."""
    path = Path(app.config["MAIL_OUTBOX_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.eml"):
        old.unlink()
    return path


@pytest.fixture()
def handed(monkeypatch) -> list[int]:
    """Ids of the events handed to the queue after commit (instead of running the deliver job)."""
    ids: list[int] = []
    monkeypatch.setattr(
        platform_outbox, "enqueue", lambda job, event_ids, **options: ids.extend(event_ids)
    )
    return ids


@pytest.fixture()
def rate_limited_app(app, database) -> Iterator[Callable[..., Flask]]:
    """Builds the app with rate limits on (counted in memory) and any other settings given; the
    shared limiter is restored after."""
    was_enabled = limiter.enabled

    def build(**settings) -> Flask:
        return create_app(
            {
                **app.config,
                "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": "memory://",
                **settings,
            }
        )

    yield build
    limiter.enabled = was_enabled


@pytest.fixture()
def is_postgres(app) -> bool:
    """Whether this run uses PostgreSQL."""
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


@pytest.fixture()
def postgres(app, database, is_postgres):
    """A clean PostgreSQL database: for invariants that only real concurrency can break."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL: row locks under real concurrency (SQLite serialises)")
    return database


@pytest.fixture()
def scratch_database_url(tmp_path) -> Iterator[str]:
    """An empty database of the run's kind, dropped afterwards (a file on SQLite)."""
    postgres = services.database_url()
    if not postgres:
        yield f"sqlite:///{tmp_path / 'migration.db'}"
        return
    scratch = f"{postgres}_migration"
    yield services.recreate_postgres_database(scratch)
    services.drop_postgres_database(scratch)


@pytest.fixture()
def scratch_app(scratch_database_url) -> Flask:
    """The app on an empty scratch database (migrate it yourself), for migration tests.

    Rate limits stay off: building an app re-binds the shared limiter.
    """
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": scratch_database_url,
            "REDIS_URL": "",
            "ACCESS_LOG": False,
            "RATELIMIT_ENABLED": False,
        }
    )
