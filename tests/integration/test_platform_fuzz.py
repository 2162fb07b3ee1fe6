"""Every route the app declares, sent NUL bytes, huge integers and invalid UTF-8 in each of its URL
parts and in every query and form parameter the app reads: no answer may be a 5xx."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote_from_bytes

import pytest
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter
from wtforms.fields.core import UnboundField

from app import PROJECT_ROOT
from app.accounts import services
from tests.support.factories import make_category, make_product

PASSWORD = "correct horse battery"
READ_PARAMETER = re.compile(
    r"""(?:request\.(?:args|form|values)\.get\(|(?:first|all)_values?\(\s*\w+,)\s*["']([\w-]+)"""
)
FORM_PREFIXES = ("profile-", "password-")
BAD_VALUES = {
    "nul": b"a\x00b",
    "int32 overflow": str(2**31).encode(),
    "int64 overflow": str(2**63).encode(),
    "invalid utf-8": b"\xff\xfe\xc3(",
}


def form_classes(cls=FlaskForm):
    for sub in cls.__subclasses__():
        yield sub
        yield from form_classes(sub)


def declared_parameters() -> list[str]:
    """Query and form parameter names the app reads: `request.args/form.get` calls in the source
    (and the search arguments' `first_value`/`all_values`), and every field of every form (also
    with the prefixes the profile page gives its two forms)."""
    names = set()
    for source in Path(PROJECT_ROOT, "app").rglob("*.py"):
        names.update(READ_PARAMETER.findall(source.read_text()))
    for form in form_classes():
        for field_name, value in vars(form).items():
            if isinstance(value, UnboundField):
                names.add(field_name)
                names.update(prefix + field_name for prefix in FORM_PREFIXES)
    return sorted(names)


def encoded(raw: bytes) -> str:
    return quote_from_bytes(raw, safe="")


def path_with(rule, bad: bytes | None) -> str:
    """The rule's path with every variable part set to `bad`, or to a plausible value."""
    path = rule.rule
    for name, converter in rule._converters.items():
        plausible = b"1" if isinstance(converter, IntegerConverter) else b"x"
        value = encoded(bad if bad is not None else plausible)
        path = re.sub(rf"<(?:[^:<>]+:)?{re.escape(name)}>", value, path)
    return path


def routes(app):
    """(rule, method) for every route but static files; signing out last, so every other route
    is tried by a signed-in shopper."""
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    for rule in sorted(rules, key=lambda rule: rule.endpoint == "accounts.logout"):
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


@pytest.fixture()
def shopper(app, client, database):
    make_product(name="Fuzz Lamp", category=make_category("Lighting"))
    services.register_user(database, email="ann@example.com", password=PASSWORD, name="Ann")
    client.post("/account/login", data={"email": "ann@example.com", "password": PASSWORD})
    return client


def send(client, method: str, path: str, parameters: bytes):
    if method == "GET":
        return client.get(f"{path}?{parameters.decode('latin-1')}")
    return client.post(
        f"{path}?{parameters.decode('latin-1')}",
        data=parameters,
        content_type="application/x-www-form-urlencoded",
    )


def test_no_route_answers_5xx_to_hostile_values(app, shopper):
    names = declared_parameters()
    assert {"page", "sort", "number", "email", "profile-name", "variant_id"} <= set(names)
    failures = []
    for rule, method in routes(app):
        for label, bad in BAD_VALUES.items():
            hostile = "&".join(f"{name}={encoded(bad)}" for name in names).encode()
            plain = "&".join(f"{name}=1" for name in names).encode()
            tries = ((path_with(rule, bad), plain), (path_with(rule, None), hostile))
            for path, parameters in tries:
                try:
                    status = send(shopper, method, path, parameters).status_code
                except Exception as error:  # a test-mode app raises what would be a 500
                    failures.append(f"{method} {path} ({label}): {error!r}")
                    continue
                if status >= 500:
                    failures.append(f"{method} {path} ({label}): {status}")

    assert failures == []
