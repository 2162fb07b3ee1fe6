"""Every portal route refuses everyone but its own merchant's staff.

Anonymous visitors are sent to sign in; customers and admins who are not staff get a 403; staff
of one merchant get a 404 for another merchant's objects (the same answer as for an object that
does not exist), while that merchant's own staff reach them.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests.portal_access as package
from app.accounts.models import Role
from tests.portal_access import RouteCase
from tests.support.factories import make_merchant
from tests.support.portal import make_staff, make_user, signed_in

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def all_cases() -> list[RouteCase]:
    cases = []
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("cases_"):
            cases += importlib.import_module(f"{package.__name__}.{module.name}").CASES
    return cases


CASES = all_cases()
OWNED_CASES = [case for case in CASES if case.owned is not None]


def portal_routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal.")
        for method in rule.methods - IGNORED_METHODS
    }


def url_for_case(app, database, case: RouteCase, merchant) -> str:
    values = case.owned(database, merchant) if case.owned else {}
    database.commit()
    with app.test_request_context():
        from flask import url_for

        return url_for(case.endpoint, **values)


def send(client, case: RouteCase, url: str):
    return client.open(url, method=case.method, data=case.data)


def test_every_portal_route_has_a_case(app):
    covered = {(case.method, case.endpoint) for case in CASES}

    assert portal_routes(app) - covered == set()
    assert covered - portal_routes(app) == set()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_anonymous_visitors_are_sent_to_sign_in(app, database, case):
    url = url_for_case(app, database, case, make_merchant())

    response = send(app.test_client(), case, url)

    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.ADMIN, Role.MERCHANT])
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_users_who_are_not_staff_are_refused(app, database, case, role):
    url = url_for_case(app, database, case, make_merchant())
    client = signed_in(app, make_user(database, role).email)

    response = send(client, case, url)

    assert response.status_code == 403


@pytest.mark.parametrize("case", OWNED_CASES, ids=lambda case: case.id)
def test_staff_of_another_merchant_get_404(app, database, case):
    intruder = make_staff(app, database)
    url = url_for_case(app, database, case, make_merchant())

    response = send(intruder.client, case, url)

    assert response.status_code == 404


@pytest.mark.parametrize(
    "case", [case for case in OWNED_CASES if case.method == "GET"], ids=lambda case: case.id
)
def test_the_merchants_own_staff_reach_it(app, database, case):
    staff = make_staff(app, database)
    url = url_for_case(app, database, case, staff.merchant)

    response = send(staff.client, case, url)

    assert response.status_code in (200, 302)
