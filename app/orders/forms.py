"""Order forms: the guest lookup and the confirmed cancel."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired

from app.accounts.forms import at_most, email_field, strip

ORDER_NUMBER_MAX = 20


class OrderLookupForm(FlaskForm):
    """Find a guest order by its number and the email it was placed with."""

    number = StringField(
        "Order number",
        filters=[strip],
        validators=[DataRequired("Enter the order number."), at_most(ORDER_NUMBER_MAX)],
    )
    email = email_field()


CONFIRMED = "yes"


class CancelOrderForm(FlaskForm):
    """Cancel an order, sent from its confirmation page ("Yes, cancel"); guests carry the
    order's access key."""

    key = HiddenField()
    confirm = HiddenField()

    @property
    def confirmed(self) -> bool:
        """Whether the shopper pressed "Yes, cancel" (not a form from before the confirmation)."""
        return self.confirm.data == CONFIRMED
