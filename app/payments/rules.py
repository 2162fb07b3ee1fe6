"""Payment rules without a database: card checks for the test gateway, expiry clamps, secrets."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

CARD_DIGITS_MIN = 12
CARD_DIGITS_MAX = 19
NAME_MAX = 100

# Stripe accepts a Checkout Session expiry between 30 minutes and 24 hours ahead; a minute's margin
# on each side covers the time the request takes and small clock differences.
STRIPE_EXPIRY_MIN = timedelta(minutes=31)
STRIPE_EXPIRY_MAX = timedelta(hours=23, minutes=59)
STRIPE_EXPIRY_STEP = timedelta(minutes=30)

EXPIRY_PATTERN = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")
CVC_PATTERN = re.compile(r"^\d{3,4}$")


@dataclass(frozen=True)
class TestCard:
    """A card number the built-in test gateway knows, and what paying with it does."""

    __test__ = False

    number: str
    outcome: str
    decline_message: str | None

    @property
    def spaced(self) -> str:
        """The number in groups of four, as printed on a card."""
        return " ".join(self.number[i : i + 4] for i in range(0, len(self.number), 4))


TEST_CARDS = (
    TestCard("4242424242424242", "Succeeds", None),
    TestCard("4000000000000002", "Is declined", "Your card was declined."),
    TestCard("4000000000009995", "Is declined", "Your card has insufficient funds."),
)
TEST_CARDS_BY_NUMBER = {card.number: card for card in TEST_CARDS}


def card_digits(text: str | None) -> str:
    """A typed card number without the spaces and dashes people put in it."""
    return (text or "").replace(" ", "").replace("-", "")


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn checksum every card number carries."""
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_number_problem(digits: str) -> str | None:
    """Why a card number cannot be used here, or None when it is one of the test cards."""
    if not digits.isdigit():
        return "Enter the card number using digits only."
    if not CARD_DIGITS_MIN <= len(digits) <= CARD_DIGITS_MAX:
        return f"A card number has {CARD_DIGITS_MIN} to {CARD_DIGITS_MAX} digits."
    if not luhn_valid(digits):
        return "That card number is not valid. Check it and try again."
    if digits not in TEST_CARDS_BY_NUMBER:
        return "This test gateway only accepts its test cards, listed on this page."
    return None


def expiry_problem(text: str, today: date) -> str | None:
    """Why an expiry date (MM/YY) is unusable, or None; a card is valid to the end of its month."""
    match = EXPIRY_PATTERN.match(text or "")
    month = int(match.group(1)) if match else 0
    if not 1 <= month <= 12:
        return "Enter the expiry date as MM/YY, for example 04/30."
    year = int(match.group(2))
    year = year + 2000 if year < 100 else year
    if (year, month) < (today.year, today.month):
        return "This card has expired."
    return None


def cvc_problem(text: str) -> str | None:
    """Why a security code is unusable, or None when it is 3 or 4 digits."""
    if not CVC_PATTERN.match((text or "").strip()):
        return "Enter the 3 or 4 digit security code."
    return None


def stripe_expiry(expires_at: datetime, now: datetime) -> datetime:
    """The order's payment deadline, moved into the window Stripe accepts for a session.

    It moves by whole half-hours from the deadline (not to "now + 31 minutes"), so a retry a few
    minutes later sends the same value: Stripe refuses an idempotency key reused with other
    parameters.
    """
    step = STRIPE_EXPIRY_STEP.total_seconds()
    short = (now + STRIPE_EXPIRY_MIN - expires_at).total_seconds()
    if short > 0:
        return expires_at + STRIPE_EXPIRY_STEP * math.ceil(short / step)
    over = (expires_at - now - STRIPE_EXPIRY_MAX).total_seconds()
    if over > 0:
        return expires_at - STRIPE_EXPIRY_STEP * math.ceil(over / step)
    return expires_at


def derived_webhook_secret(secret_key: str) -> str:
    """The test gateway's signing secret, derived from SECRET_KEY: stable for one install."""
    digest = hmac.new(
        secret_key.encode(), b"payments.test-gateway.webhook-secret", hashlib.sha256
    ).hexdigest()
    return f"whsec_{digest}"
