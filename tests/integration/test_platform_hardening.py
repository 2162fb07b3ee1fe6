"""What an attacker tried: unknown hosts, huge bodies, NUL bytes, huge ids, forwarded addresses,
and a Server header naming the software. Each answers a clean 4xx."""

from __future__ import annotations

import pytest

from app.accounts import services

PASSWORD = "correct horse battery"


def test_an_unknown_host_is_a_plain_400(client):
    response = client.get("/", headers={"Host": "evil.example"})

    assert response.status_code == 400
    assert response.mimetype == "text/plain" and "host name" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/account/login", "/no-such-page"])
def test_an_unknown_host_is_a_400_in_production_too(rate_limited_app, path):
    production = rate_limited_app(PRODUCTION=True)

    response = production.test_client().get(path, headers={"Host": "evil.example"})

    assert response.status_code == 400


def test_the_local_names_are_answered(client):
    assert client.get("/", headers={"Host": "127.0.0.1:5000"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost"}).status_code == 200


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/p/a%00b"])
def test_the_server_header_names_no_software(client, path):
    response = client.get(path)

    assert response.headers.getlist("Server") == ["marketplace"]


def test_a_body_over_the_limit_is_refused_unread(client):
    response = client.post(
        "/cart/add",
        data=b"variant_id=1&quantity=" + b"9" * (2 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 413


def test_a_huge_form_value_is_refused_never_echoed(client):
    huge = "x" * (200 * 1024)

    response = client.post("/account/login", data={"email": huge, "password": "x"})

    assert response.status_code == 413 and huge[:1000] not in response.get_data(as_text=True)


def test_a_too_long_value_is_explained_not_echoed(client):
    long_name = "y" * 5000

    response = client.post(
        "/account/register",
        data={"name": long_name, "email": "ann@example.com", "password": PASSWORD},
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "at most 120 characters" in html
    assert long_name[:200] not in html


@pytest.fixture()
def signed_in(client, database):
    services.register_user(database, email="ann@example.com", password=PASSWORD, name="Ann")
    client.post("/account/login", data={"email": "ann@example.com", "password": PASSWORD})
    return client


@pytest.mark.parametrize("address_id", [2**31, 2**31 + 1, 2**63, 10**30])
def test_an_id_too_large_for_the_database_is_a_404(signed_in, address_id):
    assert signed_in.get(f"/account/addresses/{address_id}").status_code == 404
    assert signed_in.post(f"/account/addresses/{address_id}/delete").status_code == 404


def test_a_nul_byte_in_a_slug_is_a_400(client):
    assert client.get("/p/a%00b").status_code == 400


def test_a_nul_byte_in_the_profile_name_is_a_400(signed_in, database):
    response = signed_in.post("/account/profile", data={"profile-name": "Ann\x00Lee"})

    assert response.status_code == 400
    assert services.find_user(database, "ann@example.com").name == "Ann"


def test_a_nul_byte_in_an_order_number_is_a_400(client):
    response = client.post(
        "/orders/lookup", data={"number": "MP-1\x00", "email": "ann@example.com"}
    )

    assert response.status_code == 400


def sign_in_attempts(app, forwarded_for: list[str]) -> list[int]:
    client = app.test_client()
    return [
        client.post(
            "/account/login",
            data={"email": "nobody@example.com", "password": "wrong password!"},
            environ_base={"REMOTE_ADDR": "10.9.9.9"},
            headers={"X-Forwarded-For": address},
        ).status_code
        for address in forwarded_for
    ]


def test_behind_a_trusted_proxy_limits_key_on_the_client_address(rate_limited_app):
    proxied = rate_limited_app(LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1)

    statuses = sign_in_attempts(proxied, ["203.0.113.1", "203.0.113.1", "203.0.113.2"])
    blocked = sign_in_attempts(proxied, ["203.0.113.1"])

    assert statuses == [422, 422, 422] and blocked == [429]


def test_without_trusted_proxies_the_forwarded_address_is_ignored(rate_limited_app):
    direct = rate_limited_app(LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=0)

    statuses = sign_in_attempts(direct, ["203.0.113.1", "203.0.113.2", "203.0.113.3"])

    assert statuses == [422, 422, 429]
