"""Account forms; they check shape and length, the services enforce the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from app.accounts.countries import COUNTRIES
from app.accounts.rules import ADDRESS_LIMITS, EMAIL_MAX, NAME_MAX, PASSWORD_MAX, AddressFields


class AtMost(Length):
    """A length limit that, when broken, drops the value, so the page does not echo it back."""

    def __call__(self, form, field) -> None:
        try:
            super().__call__(form, field)
        except ValidationError:
            field.raw_data = []
            field.data = ""
            raise


def at_most(limit: int) -> Length:
    """A length limit with the same wording the services use."""
    return AtMost(max=limit, message=f"Use at most {limit} characters.")


def strip(value: str | None) -> str | None:
    """Field filter: drop surrounding whitespace."""
    return value.strip() if isinstance(value, str) else value


def email_field() -> EmailField:
    """An email input, required and bounded to the column."""
    return EmailField(
        "Email",
        filters=[strip],
        validators=[DataRequired("Enter your email address."), at_most(EMAIL_MAX)],
    )


def password_field(label: str, message: str) -> PasswordField:
    """A password input, required and bounded."""
    return PasswordField(label, validators=[DataRequired(message), at_most(PASSWORD_MAX)])


class RegisterForm(FlaskForm):
    """Create an account."""

    name = StringField(
        "Name",
        filters=[strip],
        validators=[DataRequired("Enter your name."), at_most(NAME_MAX)],
    )
    email = email_field()
    password = password_field("Password", "Choose a password.")


class LoginForm(FlaskForm):
    """Sign in."""

    email = email_field()
    password = password_field("Password", "Enter your password.")


class ForgotPasswordForm(FlaskForm):
    """Ask for a password-reset link."""

    email = email_field()


class ResetPasswordForm(FlaskForm):
    """Choose a new password with a reset link."""

    password = password_field("New password", "Choose a new password.")
    confirm = PasswordField(
        "Repeat the new password",
        validators=[
            DataRequired("Repeat the new password."),
            EqualTo("password", "The two passwords do not match."),
        ],
    )


class ProfileForm(FlaskForm):
    """Edit the display name (rendered with the "profile" prefix beside the password form)."""

    name = StringField(
        "Name",
        filters=[strip],
        validators=[DataRequired("Enter your name."), at_most(NAME_MAX)],
    )


class ChangePasswordForm(FlaskForm):
    """Change the password, proving the current one (rendered with the "password" prefix)."""

    current_password = password_field("Current password", "Enter your current password.")
    new_password = password_field("New password", "Choose a new password.")


def bounded(
    name: str, label: str, required_message: str | None = None, field_class=StringField
) -> StringField:
    """A text input limited to the address column's length."""
    presence = DataRequired(required_message) if required_message else Optional()
    return field_class(label, filters=[strip], validators=[presence, at_most(ADDRESS_LIMITS[name])])


COUNTRY_CHOICES = [
    SelectChoice("", "Choose a country"),
    *(SelectChoice(code, name) for code, name in sorted(COUNTRIES.items(), key=lambda c: c[1])),
]


class AddressForm(FlaskForm):
    """An address-book entry; what each country needs (a state, a postal code of its shape) is
    checked by the services, and the template offers the country's regions to choose from."""

    full_name = bounded("full_name", "Full name", "Enter the full name.")
    line1 = bounded("line1", "Address line 1", "Enter the street address.")
    line2 = bounded("line2", "Address line 2 (optional)")
    city = bounded("city", "Town or city")
    region = bounded("region", "State, province or region")
    postal_code = bounded("postal_code", "Postal code")
    country = SelectField(
        "Country", choices=COUNTRY_CHOICES, validators=[DataRequired("Choose a country.")]
    )
    phone = bounded("phone", "Phone (optional)", field_class=TelField)
    make_default = BooleanField("Use as my default address")

    def fields(self) -> AddressFields:
        """The submitted address as plain data for the service."""
        return AddressFields(
            full_name=self.full_name.data or "",
            line1=self.line1.data or "",
            line2=self.line2.data or "",
            city=self.city.data or "",
            region=self.region.data or "",
            postal_code=self.postal_code.data or "",
            country=self.country.data or "",
            phone=self.phone.data or "",
        )
