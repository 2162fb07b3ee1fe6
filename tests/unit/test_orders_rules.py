"""Order rules: the tokens one checkout places its order attempts with."""

from __future__ import annotations

from app.orders.rules import ATTEMPTS_PER_CHECKOUT, checkout_attempt_tokens, next_attempt_token


def test_each_attempt_of_a_checkout_gets_the_next_numbered_token():
    assert next_attempt_token("abc") == "abc.1"
    assert next_attempt_token("abc.1") == "abc.2"
    assert next_attempt_token(f"abc.{ATTEMPTS_PER_CHECKOUT - 1}") is None


def test_every_attempt_names_the_same_checkout():
    tokens = checkout_attempt_tokens("abc")

    assert tokens[:3] == ["abc", "abc.1", "abc.2"]
    assert len(tokens) == ATTEMPTS_PER_CHECKOUT
    assert checkout_attempt_tokens("abc.7") == tokens
    assert all(checkout_attempt_tokens(token) == tokens for token in tokens)
