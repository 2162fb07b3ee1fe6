"""`role_required`: anonymous visitors go to the login page, wrong roles get a 403."""

from __future__ import annotations

import pytest

from app import create_app
from app.accounts import services
from app.accounts.access import role_required
from app.accounts.models import Role

PASSWORD = "correct horse battery"


@pytest.fixture()
def guarded_app(app, database):
    """The app plus two small pages only some roles may open."""
    guarded = create_app({**app.config})

    @guarded.get("/__admin-only")
    @role_required(Role.ADMIN)
    def admin_only():
        return "admin area"

    @guarded.get("/__staff")
    @role_required(Role.ADMIN, Role.MERCHANT)
    def staff():
        return "staff area"

    return guarded


def signed_in_as(app, database, role: Role):
    email = f"{role}@example.com"
    services.register_user(database, email=email, password=PASSWORD, name=str(role), role=role)
    client = app.test_client()
    client.post("/account/login", data={"email": email, "password": PASSWORD})
    return client


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        (Role.CUSTOMER, "/__admin-only", 403),
        (Role.MERCHANT, "/__admin-only", 403),
        (Role.ADMIN, "/__admin-only", 200),
        (Role.CUSTOMER, "/__staff", 403),
        (Role.MERCHANT, "/__staff", 200),
        (Role.ADMIN, "/__staff", 200),
    ],
)
def test_only_the_named_roles_get_in(guarded_app, database, role, path, status):
    client = signed_in_as(guarded_app, database, role)

    response = client.get(path)

    assert response.status_code == status
    if status == 403:
        assert "You do not have access to this page." in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/__admin-only", "/__staff"])
def test_anonymous_visitors_are_sent_to_log_in(guarded_app, database, path):
    response = guarded_app.test_client().get(path)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/account/login?next=%2F{path[1:]}"


def test_a_role_is_required():
    with pytest.raises(ValueError, match="at least one role"):
        role_required()
