"""Payment rules: card checks of the test gateway, Stripe's expiry window, the derived secret."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.payments.rules import (
    TEST_CARDS,
    card_digits,
    card_number_problem,
    cvc_problem,
    derived_webhook_secret,
    expiry_problem,
    luhn_valid,
    stripe_expiry,
)

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_every_test_card_passes_the_luhn_check():
    assert all(luhn_valid(card.number) for card in TEST_CARDS)
    assert [card.spaced for card in TEST_CARDS] == [
        "4242 4242 4242 4242",
        "4000 0000 0000 0002",
        "4000 0000 0000 9995",
    ]


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("4242424242424242", True),
        ("5555555555554444", True),
        ("378282246310005", True),
        ("4242424242424241", False),
        ("1234567812345678", False),
    ],
)
def test_luhn_checksum(digits, valid):
    assert luhn_valid(digits) is valid


def test_spaces_and_dashes_are_dropped_from_a_typed_number():
    assert card_digits(" 4242 4242-4242 4242 ") == "4242424242424242"
    assert card_digits(None) == ""


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("4242424242424242", None),
        ("4000000000000002", None),
        ("4242x42424242424", "Enter the card number using digits only."),
        ("42424242", "A card number has 12 to 19 digits."),
        ("42424242424242424242", "A card number has 12 to 19 digits."),
        ("4242424242424241", "That card number is not valid. Check it and try again."),
        ("5555555555554444", "This test gateway only accepts its test cards, listed on this page."),
    ],
)
def test_card_number_problems(typed, problem):
    assert card_number_problem(typed) == problem


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("04/30", None),
        ("4/30", None),
        (" 12 / 2031 ", None),
        ("11/26", None),
        ("10/26", "This card has expired."),
        ("01/2020", "This card has expired."),
        ("13/30", "Enter the expiry date as MM/YY, for example 04/30."),
        ("00/30", "Enter the expiry date as MM/YY, for example 04/30."),
        ("0430", "Enter the expiry date as MM/YY, for example 04/30."),
        ("", "Enter the expiry date as MM/YY, for example 04/30."),
    ],
)
def test_expiry_is_month_and_year_not_in_the_past(typed, problem):
    assert expiry_problem(typed, TODAY) == problem


@pytest.mark.parametrize(
    ("typed", "ok"),
    [("123", True), ("1234", True), ("12", False), ("12a", False), ("12345", False)],
)
def test_security_code_is_three_or_four_digits(typed, ok):
    assert (cvc_problem(typed) is None) is ok


@pytest.mark.parametrize(
    ("ahead", "sent_ahead"),
    [
        (timedelta(minutes=15), timedelta(minutes=45)),
        (timedelta(minutes=-5), timedelta(minutes=55)),
        (timedelta(minutes=31), timedelta(minutes=31)),
        (timedelta(hours=2), timedelta(hours=2)),
        (timedelta(hours=23, minutes=59), timedelta(hours=23, minutes=59)),
        (timedelta(days=3), timedelta(hours=23, minutes=30)),
    ],
)
def test_stripe_expiry_is_moved_into_the_window_stripe_accepts(ahead, sent_ahead):
    assert stripe_expiry(NOW + ahead, NOW) == NOW + sent_ahead


def test_a_retry_minutes_later_sends_the_same_expiry():
    deadline = NOW + timedelta(minutes=15)
    sent = {stripe_expiry(deadline, NOW + timedelta(minutes=m)) for m in range(0, 14)}
    assert sent == {NOW + timedelta(minutes=45)}


def test_the_test_gateway_secret_is_stable_per_secret_key_and_unguessable_without_it():
    first = derived_webhook_secret("key-one")
    assert first == derived_webhook_secret("key-one")
    assert first != derived_webhook_secret("key-two")
    assert first.startswith("whsec_") and "key-one" not in first
