"""Account rules that need no database: emails, password policy, reset tokens, safe redirects,
the fields of an address (each country's needs are in app.accounts.addresses)."""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

EMAIL_MAX = 254
NAME_MAX = 120
PASSWORD_MIN = 10
PASSWORD_MAX = 256

# Passwords of PASSWORD_MIN characters or more that appear near the top of breach lists.
COMMON_PASSWORDS = frozenset(
    {
        "0123456789",
        "1234567890",
        "12345678910",
        "123456789a",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "a123456789",
        "abc1234567",
        "abcdefghij",
        "iloveyou123",
        "letmein123",
        "password01",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "qwerty1234",
        "qwerty12345",
        "qwertyuiop",
        "welcome123",
        "zaq12wsxcde",
    }
)
SEQUENCES = (string.digits, string.ascii_lowercase, "qwertyuiopasdfghjklzxcvbnm")


class InvalidEmail(ValueError):
    """The text is not a usable email address."""


def normalize_email(raw: str) -> str:
    """Validate an address (no DNS lookups) and lowercase it: `" Ann@X.com"` -> `"ann@x.com"`."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from error
    email = result.normalized.lower()
    if len(email) > EMAIL_MAX:
        raise InvalidEmail(f"An email address has at most {EMAIL_MAX} characters.")
    return email


def password_problems(password: str, *, email: str = "") -> list[str]:
    """Why a new password is not acceptable; an empty list means it is."""
    if len(password) < PASSWORD_MIN:
        return [f"Use at least {PASSWORD_MIN} characters."]
    if len(password) > PASSWORD_MAX:
        return [f"Use at most {PASSWORD_MAX} characters."]
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) == 1 or is_sequence(lowered):
        return ["This password is too common. Choose something harder to guess."]
    if email and lowered in {email.lower(), email.split("@")[0].lower()}:
        return ["Do not use your email address as your password."]
    return []


def is_sequence(text: str) -> bool:
    """Whether the text is a run of a keyboard or alphabet sequence, like "abcdefghij"."""
    return any(text in sequence or text in sequence[::-1] for sequence in SEQUENCES)


def new_reset_token() -> tuple[str, str]:
    """A fresh reset token for the email link and the SHA-256 digest that is stored instead."""
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    """Hex SHA-256 of a token: what the database keeps, so a leaked table opens no account."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenState(StrEnum):
    """Whether a reset token may still be used."""

    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


def token_state(expires_at: datetime | None, used_at: datetime | None, now: datetime) -> TokenState:
    """The state of a stored token at `now`; `expires_at=None` means no such token."""
    if expires_at is None:
        return TokenState.UNKNOWN
    if used_at is not None:
        return TokenState.USED
    if now >= expires_at:
        return TokenState.EXPIRED
    return TokenState.VALID


UNSAFE_PATH = re.compile(r"[\x00-\x1f\x7f\\]")


def safe_next_path(target: str | None) -> str | None:
    """`target` when it is a same-site relative path (`/cart?x=1`), else None (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if UNSAFE_PATH.search(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@dataclass(frozen=True)
class AddressFields:
    """The editable fields of an address-book entry, as typed by the user."""

    full_name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    region: str = ""
    phone: str = ""

    def cleaned(self) -> AddressFields:
        """Surrounding spaces removed and the country code uppercased."""
        values = {name: getattr(self, name).strip() for name in ADDRESS_LIMITS}
        values["country"] = values["country"].upper()
        return AddressFields(**values)


ADDRESS_LIMITS = {
    "full_name": 120,
    "line1": 200,
    "line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "country": 2,
    "phone": 40,
}
ADDRESS_REQUIRED = {
    "full_name": "Enter the full name.",
    "line1": "Enter the street address.",
    "country": "Choose a country.",
}
