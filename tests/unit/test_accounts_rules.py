"""Account rules without a database: emails, reset tokens, safe redirects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.rules import (
    InvalidEmail,
    TokenState,
    new_reset_token,
    normalize_email,
    safe_next_path,
    token_digest,
    token_state,
)

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def test_emails_are_trimmed_and_lowercased():
    assert normalize_email("  Ann.Lee@Example.COM ") == "ann.lee@example.com"


@pytest.mark.parametrize(
    "raw", ["", "ann", "ann@", "@example.com", "ann@@example.com", "a b@x.com"]
)
def test_malformed_emails_are_refused(raw):
    with pytest.raises(InvalidEmail):
        normalize_email(raw)


def test_email_validation_does_no_dns_lookup():
    # a domain that certainly has no mail server still validates: only the syntax is checked
    assert (
        normalize_email("someone@no-mx-here-4f1c.example.com")
        == "someone@no-mx-here-4f1c.example.com"
    )


def test_reset_token_is_random_and_only_its_sha256_is_kept():
    token, digest = new_reset_token()
    other, _ = new_reset_token()

    assert len(token) >= 43 and token != other
    assert digest == token_digest(token) and len(digest) == 64 and token not in digest
    assert token_digest(token) != token_digest(other)


@pytest.mark.parametrize(
    ("expires_at", "used_at", "state"),
    [
        (NOW + timedelta(minutes=1), None, TokenState.VALID),
        (NOW, None, TokenState.EXPIRED),
        (NOW - timedelta(seconds=1), None, TokenState.EXPIRED),
        (NOW + timedelta(minutes=1), NOW - timedelta(minutes=1), TokenState.USED),
        (None, None, TokenState.UNKNOWN),
    ],
)
def test_token_state(expires_at, used_at, state):
    assert token_state(expires_at, used_at, NOW) is state


@pytest.mark.parametrize("target", ["/", "/account/", "/cart?step=2", "/p/tee#reviews"])
def test_same_site_paths_are_safe_redirects(target):
    assert safe_next_path(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "account",
        "/\tevil",
        "/\r\nSet-Cookie:x",
        "http:/evil.example",
    ],
)
def test_other_targets_are_not(target):
    assert safe_next_path(target) is None

