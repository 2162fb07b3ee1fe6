"""Merchant forms: shape and length only; the onboarding services enforce the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.merchants.onboarding import APPLICATION_LIMITS, REQUIRED


def strip(value: str | None) -> str | None:
    """Field filter: drop surrounding whitespace."""
    return value.strip() if isinstance(value, str) else value


def limits(name: str) -> list:
    """Required (with the service's wording) when the service requires it, and bounded."""
    limit = APPLICATION_LIMITS[name]
    required = DataRequired(REQUIRED[name]) if name in REQUIRED else Optional()
    return [required, Length(max=limit, message=f"Use at most {limit} characters.")]


class ApplicationForm(FlaskForm):
    """ "Sell with us": the shop and who to talk to."""

    shop_name = StringField("Shop name", filters=[strip], validators=limits("shop_name"))
    contact_name = StringField("Contact name", filters=[strip], validators=limits("contact_name"))
    contact_email = EmailField("Contact email", filters=[strip], validators=limits("contact_email"))
    phone = TelField("Phone (optional)", filters=[strip], validators=limits("phone"))
    description = TextAreaField(
        "What does your shop sell?", filters=[strip], validators=limits("description")
    )
