"""Password reset: an emailed single-use, expiring link; no hint whether an account exists."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.accounts import services
from app.accounts.models import PasswordResetToken, User
from app.accounts.rules import token_digest
from app.database import db, utcnow
from tests.support.queries import count_queries

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new secret"


@pytest.fixture()
def ann(database) -> User:
    return services.register_user(database, email="ann@example.com", password=PASSWORD, name="Ann")


def ask_for_reset(client, address="ann@example.com"):
    # buffered: the response is closed, so jobs queued "after the response" have run
    return client.post("/account/password/forgot", data={"email": address}, buffered=True)


def reset_link(outbox: Path) -> tuple[str, email.message.EmailMessage]:
    return reset_link_on(outbox, "http://localhost")


def reset_link_on(outbox: Path, site: str) -> tuple[str, email.message.EmailMessage]:
    (eml,) = outbox.glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    url = re.search(re.escape(site) + r"(/account/password/reset/[\w-]+)", text).group(1)
    return url, message


def test_reset_from_email_to_new_password(client, database, ann, outbox):
    # given
    asked = ask_for_reset(client, " Ann@Example.com")
    # then an email with both bodies and a link went out
    assert asked.status_code == 303 and asked.headers["Location"] == "/account/login"
    path, message = reset_link(outbox)
    assert message["To"] == "ann@example.com" and message["Subject"] == "Reset your password"
    assert path in message.get_body(("html",)).get_content()
    assert "expires in 60 minutes" in message.get_body(("plain",)).get_content()
    # and only the token's digest is stored
    stored = database.scalar(sa.select(PasswordResetToken))
    token = path.rsplit("/", 1)[1]
    assert stored.token_digest == token_digest(token) and token not in stored.token_digest
    # when
    page = client.get(path)
    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    # then
    assert page.status_code == 200 and 'autocomplete="new-password"' in page.get_data(as_text=True)
    assert '<meta name="referrer" content="no-referrer">' in page.get_data(as_text=True)
    assert done.status_code == 303 and done.headers["Location"] == "/account/login"
    login = client.post(
        "/account/login", data={"email": "ann@example.com", "password": NEW_PASSWORD}
    )
    assert login.status_code == 303


def test_the_answer_is_the_same_for_an_unknown_email(client, ann, outbox):
    known = ask_for_reset(client, "ann@example.com")
    known_page = client.get("/account/login").get_data(as_text=True)
    unknown = ask_for_reset(client, "nobody@example.com")
    unknown_page = client.get("/account/login").get_data(as_text=True)

    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code,
        unknown.headers["Location"],
    )
    assert "If an account uses that email" in known_page
    assert "If an account uses that email" in unknown_page
    assert len(list(outbox.glob("*.eml"))) == 1


def test_the_email_is_sent_by_a_job_after_the_response(client, ann, outbox):
    response = client.post("/account/password/forgot", data={"email": "ann@example.com"})

    assert list(outbox.glob("*.eml")) == []
    response.close()
    assert len(list(outbox.glob("*.eml"))) == 1


def test_the_request_does_the_same_work_whether_or_not_the_account_exists(client, ann, outbox):
    with count_queries(db.engine) as known:
        for_ann = client.post("/account/password/forgot", data={"email": "ann@example.com"})
    with count_queries(db.engine) as unknown:
        for_nobody = client.post("/account/password/forgot", data={"email": "nobody@example.com"})
    for_ann.close()
    for_nobody.close()

    assert known.statements == unknown.statements == []
    assert len(list(outbox.glob("*.eml"))) == 1


def test_the_link_is_on_the_site_url_whatever_the_host_header(
    app, client, ann, outbox, monkeypatch
):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["localhost", "shop.example", "evil.example"])
    monkeypatch.setitem(app.config, "SITE_URL", "https://shop.example")

    client.post(
        "/account/password/forgot",
        data={"email": "ann@example.com"},
        headers={"Host": "evil.example"},
        buffered=True,
    )

    _, message = reset_link_on(outbox, "https://shop.example")
    assert "evil.example" not in message.as_string()


def test_a_used_link_cannot_be_used_again(client, ann, outbox):
    ask_for_reset(client)
    path, _ = reset_link(outbox)
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    again = client.post(
        path, data={"password": "another new secret", "confirm": "another new secret"}
    )

    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    assert client.get(path).status_code == 410


def test_using_one_link_voids_the_older_ones(client, database, ann, outbox):
    ask_for_reset(client)
    first, _ = reset_link(outbox)
    for eml in outbox.glob("*.eml"):
        eml.unlink()
    ask_for_reset(client)
    second, _ = reset_link(outbox)

    client.post(second, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert client.get(first).status_code == 410
    assert (
        database.scalar(sa.select(sa.func.count()).where(PasswordResetToken.used_at.is_(None))) == 0
    )


def test_an_expired_link_says_so(client, database, ann, outbox):
    ask_for_reset(client)
    path, _ = reset_link(outbox)
    database.execute(
        sa.update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    database.commit()

    page = client.get(path)
    post = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert page.status_code == 410 and "has expired" in page.get_data(as_text=True)
    assert post.status_code == 410


def test_the_link_lives_as_long_as_configured(app, client, database, ann, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", 600)

    ask_for_reset(client)

    stored = database.scalar(sa.select(PasswordResetToken))
    lifetime = stored.expires_at - utcnow()
    assert timedelta(seconds=590) < lifetime <= timedelta(seconds=600)


def test_an_unknown_token_is_a_404_with_a_way_forward(client):
    page = client.get("/account/password/reset/not-a-real-token")

    assert page.status_code == 404
    assert "not valid" in page.get_data(as_text=True)
    assert 'href="/account/password/forgot"' in page.get_data(as_text=True)


def test_a_weak_or_mismatched_new_password_keeps_the_link_usable(client, ann, outbox):
    ask_for_reset(client)
    path, _ = reset_link(outbox)

    weak = client.post(path, data={"password": "password123", "confirm": "password123"})
    mismatched = client.post(path, data={"password": NEW_PASSWORD, "confirm": "something else"})

    assert weak.status_code == 422 and "too common" in weak.get_data(as_text=True)
    assert mismatched.status_code == 422
    assert "do not match" in mismatched.get_data(as_text=True)
    assert client.get(path).status_code == 200


def test_a_reset_logs_out_every_session(app, ann, outbox):
    signed_in = app.test_client()
    signed_in.post("/account/login", data={"email": "ann@example.com", "password": PASSWORD})
    helper = app.test_client()
    ask_for_reset(helper)
    path, _ = reset_link(outbox)

    helper.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert signed_in.get("/account/").status_code == 302
