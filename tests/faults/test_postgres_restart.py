"""A PostgreSQL restart under a running app: a private cluster, restarted and stopped by the test.

The app's pooled connections outlive the server's sessions; the first request after a restart
must get a fresh connection, not a 500, and /readyz says 503 (JSON) while the server is down.
"""

from __future__ import annotations

import select
from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from app import create_app
from app.database import db
from tests.support import services
from tests.support.factories import make_product
from tests.support.fixtures import settings_for_tests
from tests.support.processes import PostgresServer, needs_postgres_binaries, postgres_server

pytestmark = needs_postgres_binaries

HANG_GUARD_MS = 60_000  # only a broken run waits this long


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="module")
def store(cluster, backing_services, tmp_path_factory) -> Flask:
    """The app (errors answered as in production) on a migrated database of the private cluster."""
    database = services.recreate_postgres_database(cluster.url("marketplace"))
    services_here = {"database": database, "redis": backing_services["redis"]}
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(settings_for_tests(services_here, instance, TESTING=False))
    with app.app_context():
        upgrade(directory=str(app.config["MIGRATIONS_DIR"]))
    return app


@pytest.fixture(scope="module")
def pages(store) -> dict[str, str]:
    """A page of each kind that reads the database, over one product."""
    with store.app_context():
        product = make_product(name="Stoneware Coffee Mug")
        db.session.commit()
        return {
            "home": "/",
            "category": f"/c/{product.category.slug}",
            "product": f"/p/{product.slug}",
            "search": "/search?q=mug",
            "readiness": "/readyz",
        }


@pytest.mark.parametrize("page", ["home", "category", "product", "search", "readiness"])
def test_the_first_request_after_a_restart_is_answered(store, cluster, pages, page):
    client = store.test_client()
    assert client.get(pages[page]).status_code == 200

    cluster.restart()

    assert client.get(pages[page]).status_code == 200


def test_readyz_answers_a_json_503_while_the_database_is_stopped(store, cluster):
    client = store.test_client()
    assert client.get("/readyz").status_code == 200

    cluster.stop()
    try:
        stopped = client.get("/readyz")
    finally:
        cluster.start()

    assert stopped.status_code == 503
    assert stopped.get_json()["checks"]["database"] == "unavailable"
    assert client.get("/readyz").status_code == 200


def app_beside(store: Flask, instance) -> Flask:
    """Another app on the store's database (routes can still be added to it)."""
    services_here = {"database": store.config["SQLALCHEMY_DATABASE_URI"], "redis": ""}
    return create_app(settings_for_tests(services_here, instance, TESTING=False))


def test_a_connection_lost_in_the_middle_of_a_request_gets_the_error_page(store, tmp_path):
    app = app_beside(store, tmp_path)

    @app.get("/__lose-the-connection")
    def lose_the_connection():
        db.session.execute(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))
        db.session.execute(sa.text("SELECT 1"))
        return "the connection survived"

    response = app.test_client().get("/__lose-the-connection")

    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


def test_readyz_answers_a_json_503_when_the_server_hangs_up_during_its_check(
    store, cluster, tmp_path
):
    app = app_beside(store, tmp_path)
    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "checkout")  # after the app's own check has passed
    def _hang_up(dbapi_connection, _record, _proxy) -> None:
        with psycopg.connect(cluster.url("marketplace").replace("+psycopg", "")) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [dbapi_connection.info.backend_pid])
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        assert poller.poll(HANG_GUARD_MS), "the server never closed the connection"

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "unavailable"
