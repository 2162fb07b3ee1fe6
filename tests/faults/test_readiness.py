"""Readiness and liveness while a backing service is down (nothing listens on its port)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from tests.support.fixtures import settings_for_tests
from tests.support.processes import free_port


def app_with(tmp_path: Path, database: str, redis: str) -> Flask:
    services = {"database": database, "redis": redis}
    return create_app(settings_for_tests(services, tmp_path, TESTING=False))


@pytest.fixture()
def closed_database() -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/marketplace"


@pytest.fixture()
def closed_redis() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def test_readyz_answers_a_json_503_while_the_database_is_down(tmp_path, closed_database):
    client = app_with(tmp_path, closed_database, "").test_client()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable", "redis": "ok"},
    }


def test_readyz_answers_a_json_503_while_redis_is_down(backing_services, tmp_path, closed_redis):
    client = app_with(tmp_path, backing_services["database"], closed_redis).test_client()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "unavailable"},
    }


def test_healthz_is_a_liveness_check_while_both_are_down(tmp_path, closed_database, closed_redis):
    client = app_with(tmp_path, closed_database, closed_redis).test_client()

    response = client.get("/healthz")

    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
