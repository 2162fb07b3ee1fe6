"""The built-in test gateway's card form; the checks themselves are in `rules`."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, StringField, ValidationError
from wtforms.validators import DataRequired, Length

from app.database import utcnow
from app.payments.rules import (
    NAME_MAX,
    card_digits,
    card_number_problem,
    cvc_problem,
    expiry_problem,
)


def strip(value: str | None) -> str | None:
    """Field filter: drop surrounding whitespace."""
    return value.strip() if isinstance(value, str) else value


def valid_card_number(form: FlaskForm, field: Field) -> None:
    """Digits, 12 to 19 of them, a correct checksum, and one of the test cards."""
    problem = card_number_problem(field.data)
    if problem:
        raise ValidationError(problem)


def valid_expiry(form: FlaskForm, field: Field) -> None:
    """MM/YY, this month or later."""
    problem = expiry_problem(field.data, utcnow().date())
    if problem:
        raise ValidationError(problem)


def valid_cvc(form: FlaskForm, field: Field) -> None:
    """Three or four digits."""
    problem = cvc_problem(field.data)
    if problem:
        raise ValidationError(problem)


class SecretField(StringField):
    """A text input whose value is never written back into the page (the card's security code)."""

    def _value(self) -> str:
        return ""


class CardForm(FlaskForm):
    """Pay on the test gateway's page."""

    card_number = StringField(
        "Card number",
        filters=[card_digits],
        validators=[DataRequired("Enter the card number."), valid_card_number],
    )
    expiry = StringField(
        "Expiry date (MM/YY)",
        filters=[strip],
        validators=[DataRequired("Enter the expiry date."), valid_expiry],
    )
    cvc = SecretField(
        "Security code (CVC)",
        filters=[strip],
        validators=[DataRequired("Enter the 3 or 4 digit security code."), valid_cvc],
    )
    name = StringField(
        "Name on card",
        filters=[strip],
        validators=[
            DataRequired("Enter the name on the card."),
            Length(max=NAME_MAX, message=f"Use at most {NAME_MAX} characters."),
        ],
    )
