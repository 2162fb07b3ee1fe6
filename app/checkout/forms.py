"""Checkout forms; they check shape and length, the checkout services enforce the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from app.accounts.forms import AddressForm, at_most, email_field, strip
from app.accounts.rules import ADDRESS_LIMITS

NEW_ADDRESS = "new"
PROMO_CODE_MAX = 40


class DetailsForm(AddressForm):
    """Contact email and shipping address: a saved address (signed-in shoppers) or a new one."""

    email = email_field()
    saved_address = RadioField(
        "Ship to", default=NEW_ADDRESS, choices=[SelectChoice(NEW_ADDRESS, "New address")]
    )
    make_default = None

    @property
    def uses_saved_address(self) -> bool:
        """Whether the shopper picked an address from their address book."""
        return self.saved_address.data not in (None, "", NEW_ADDRESS)

    def saved_address_id(self) -> int | None:
        """The id of the picked address-book entry, if one was picked."""
        return int(self.saved_address.data) if self.uses_saved_address else None

    def validate(self, extra_validators=None) -> bool:
        """Every field counts, except the new-address fields when a saved address is picked."""
        valid = super().validate(extra_validators)
        if valid or not self.uses_saved_address:
            return valid
        for name in ADDRESS_LIMITS:
            self[name].errors = []
        return not self.errors


class PromoCodeForm(FlaskForm):
    """A promo code for the review page."""

    code = StringField(
        "Promo code",
        filters=[strip],
        validators=[DataRequired("Enter a promo code."), at_most(PROMO_CODE_MAX)],
    )


class PlaceOrderForm(FlaskForm):
    """Place the order: the checkout token makes a double submit place one order, and the
    fingerprint of the summary the shopper reviewed keeps a changed order from being placed."""

    token = HiddenField(validators=[DataRequired("This checkout has expired.")])
    reviewed = HiddenField()
