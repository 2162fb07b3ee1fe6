"""Backing services for tests: real PostgreSQL and Redis when reachable (required in CI)."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

# One database (and Redis db number) per test run, so concurrent runs on one machine don't collide.
DEFAULT_POSTGRES_URL = f"postgresql://postgres@127.0.0.1:5432/marketplace_test_{os.getpid()}"
DEFAULT_REDIS_URL = f"redis://127.0.0.1:6379/{1 + os.getpid() % 15}"


def in_ci() -> bool:
    """CI=true makes a missing service a failure instead of a fallback."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def reachable(url: str) -> bool:
    """Whether something listens at the URL's host and port."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=1):
            return True
    except OSError:
        return False


def choose(name: str, env_var: str, default_url: str) -> str:
    """The URL to test against, or '' for the embedded fallback; in CI, fail loudly instead."""
    url = os.environ.get(env_var, default_url)
    if url == "embedded":
        return ""
    if reachable(url):
        return url
    if in_ci():
        pytest.exit(f"CI=true but {name} is not reachable at {url}", returncode=3)
    return ""


def database_url() -> str:
    """PostgreSQL test database URL, or '' when tests fall back to SQLite."""
    return choose("PostgreSQL", "TEST_DATABASE_URL", DEFAULT_POSTGRES_URL)


def redis_url() -> str:
    """Redis test URL, or '' when tests fall back to fakeredis."""
    return choose("Redis", "TEST_REDIS_URL", DEFAULT_REDIS_URL)


def _administer(url: str, *statements: str) -> None:
    """Run statements on the server's `postgres` database, outside a transaction."""
    import sqlalchemy as sa

    admin_url = urlsplit(url)._replace(scheme="postgresql+psycopg", path="/postgres").geturl()
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))
    engine.dispose()


def recreate_postgres_database(url: str) -> str:
    """Drop and create the test database; returns the SQLAlchemy URL for it."""
    name = urlsplit(url).path.lstrip("/")
    _administer(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return urlsplit(url)._replace(scheme="postgresql+psycopg").geturl()


def drop_postgres_database(url: str) -> None:
    """Drop the test database at the end of the run."""
    name = urlsplit(url).path.lstrip("/")
    _administer(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
