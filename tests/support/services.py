"""Find the backing services for tests: real PostgreSQL and Redis when reachable (required in CI)."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/marketplace_test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


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


def recreate_postgres_database(url: str) -> str:
    """Drop and create the test database; returns the SQLAlchemy URL for it."""
    import sqlalchemy as sa

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(scheme="postgresql+psycopg", path="/postgres").geturl()
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return parts._replace(scheme="postgresql+psycopg").geturl()
