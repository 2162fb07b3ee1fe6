"""Checkout services: validate each step, quote shipping, price the order, place it.

Prices, stock and shipping amounts always come from the server (the cart re-validated against
the catalog, quotes kept in the checkout state), never from the submitted form.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from app.accounts.addresses import InvalidAddress, normalized_address
from app.accounts.rules import AddressFields
from app.cart.services import CartView, MerchantGroup
from app.checkout.models import Promotion, PromotionRedemption
from app.checkout.rules import CheckoutState, TaxRate, discount_amount, load_tax_table
from app.database import utcnow
from app.money import Money
from app.orders import services as orders
from app.orders.models import Order, OrderStatus
from app.orders.rules import KEEPS_PAYMENT
from app.shipping.rules import Destination, NoShippingRate, RateQuote, ShipmentRequest
from app.shipping.services import quote_rates


class CheckoutProblem(Exception):
    """Something the shopper must fix before the order can be placed (a clear message)."""


class OrderChanged(CheckoutProblem):
    """The cart, prices or totals moved since the shopper reviewed them."""


class PromoCodeRejected(CheckoutProblem):
    """The promo code does not apply (unknown, expired, used up, below the minimum spend)."""


@dataclass(frozen=True)
class ShipmentChoice:
    """One merchant's part of the cart with its quotes and the one chosen."""

    group: MerchantGroup
    quotes: tuple[dict, ...]
    chosen: dict | None


@dataclass(frozen=True)
class CheckoutSummary:
    """Everything the review page shows, line by line, in minor units of `currency`."""

    currency: str
    shipments: tuple[ShipmentChoice, ...]
    subtotal: int
    discount: int
    shipping: int
    tax: int
    tax_label: str
    promo_code: str

    @property
    def total(self) -> int:
        return self.subtotal - self.discount + self.shipping + self.tax

    def money(self, amount: int) -> Money:
        """An amount in the checkout's currency."""
        return Money(amount, self.currency)

    @property
    def shipping_chosen(self) -> bool:
        return all(choice.chosen for choice in self.shipments)

    @property
    def fingerprint(self) -> str:
        """A digest of everything the shopper agrees to: lines, prices, shipping, totals.

        The review page sends it with "Place order"; an order is only placed if it still matches,
        so a cart that changed in between (a price, a line sold out) is shown again first.
        """
        basis = [
            self.currency,
            [
                [line.variant_id, line.quantity, line.unit_price.amount]
                for choice in self.shipments
                for line in choice.group.lines
            ],
            [choice.chosen["rate_id"] if choice.chosen else "" for choice in self.shipments],
            [self.subtotal, self.discount, self.shipping, self.tax, self.total],
        ]
        return hashlib.sha256(json.dumps(basis).encode()).hexdigest()[:32]


def email_problems(email: str) -> dict[str, list[str]]:
    """What is wrong with the contact email, by field (none when it is usable)."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return {"email": ["Enter an email address like name@example.com."]}
    return {}


def set_contact(state: CheckoutState, email: str, fields: AddressFields) -> CheckoutState:
    """Record a valid contact and an address normalised for its country; shipping must then be
    chosen again if it moved."""
    problems = email_problems(email.strip())
    try:
        address = normalized_address(fields)
    except InvalidAddress as error:
        raise InvalidContact({**error.problems, **problems}) from error
    if problems:
        raise InvalidContact(problems)
    state.email = email.strip().lower()
    state.address = asdict(address)
    return state


class InvalidContact(CheckoutProblem):
    """The contact step has field errors."""

    def __init__(self, problems: dict[str, list[str]]):
        super().__init__("Check the highlighted fields.")
        self.problems = problems


def destination(state: CheckoutState) -> Destination:
    """The shipping destination of the checkout."""
    address = state.address
    return Destination(
        name=address["full_name"],
        line1=address["line1"],
        line2=address.get("line2", ""),
        city=address["city"],
        region=address.get("region", ""),
        postal_code=address["postal_code"],
        country=address["country"],
        phone=address.get("phone", ""),
        email=state.email,
    )


def quote_key(cart: CartView, state: CheckoutState) -> str:
    """What shipping quotes depend on: the destination and each merchant's parcel."""
    basis = {
        "address": state.address,
        "parcels": [[g.merchant_id, g.weight_grams, g.subtotal.amount] for g in cart.groups],
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


def refresh_quotes(config: Mapping, cart: CartView, state: CheckoutState) -> CheckoutState:
    """Quote every merchant's shipment (in parallel) unless the quotes still fit the cart."""
    key = quote_key(cart, state)
    if state.quote_key == key and state.quotes:
        return state
    target = destination(state)
    with ThreadPoolExecutor(max_workers=max(1, len(cart.groups))) as pool:
        results = list(pool.map(lambda group: _quotes_for(config, group, target), cart.groups))
    state.quotes = {
        str(group.merchant_id): quotes for group, quotes in zip(cart.groups, results, strict=True)
    }
    state.shipping = {
        merchant: rate_id
        for merchant, rate_id in state.shipping.items()
        if any(quote["rate_id"] == rate_id for quote in state.quotes.get(merchant, []))
    }
    state.quote_key = key
    return state


def _quotes_for(config: Mapping, group: MerchantGroup, target: Destination) -> list[dict]:
    shipment = ShipmentRequest(
        merchant_id=group.merchant_id,
        merchant_name=group.merchant_name,
        destination=target,
        weight_grams=group.weight_grams,
        value=group.subtotal,
    )
    try:
        quotes = quote_rates(config, shipment)
    except NoShippingRate:
        return []
    return [_quote_dict(quote) for quote in quotes]


def _quote_dict(quote: RateQuote) -> dict:
    return {
        "rate_id": quote.rate_id,
        "label": quote.label(),
        "amount": quote.amount.amount,
        "currency": quote.amount.currency,
    }


def shipping_chosen(cart: CartView, state: CheckoutState) -> bool:
    """Whether the quotes fit this cart and address and a rate is chosen for every shop."""
    return state.quote_key == quote_key(cart, state) and all(
        str(group.merchant_id) in state.shipping for group in cart.groups
    )


def placed_order(session: Session, state: CheckoutState, cart: CartView) -> Order | None:
    """The order this checkout placed, while it waits for payment, or once it is paid for what
    the cart still holds: as long as there is one, the checkout places no other.

    An order that ended unpaid (its payment failed for good, it expired or was cancelled) ends
    that attempt: the checkout continues under its next token. A paid order whose cart has
    changed since (the shopper went on shopping) makes the cart a new purchase, under a new
    checkout's token. The caller keeps the state.
    """
    order = orders.order_for_token(session, state.token)
    if order is None or order.status == OrderStatus.PENDING_PAYMENT:
        return order
    if order.status not in KEEPS_PAYMENT:
        state.token = orders.next_checkout_token(state.token)
        return None
    if _bought(order) == _holds(cart):
        return order
    state.token = orders.new_checkout_token()
    return None


def _bought(order: Order) -> dict[int | None, int]:
    return {line.variant_id: line.quantity for line in order.lines}


def _holds(cart: CartView) -> dict[int | None, int]:
    return {line.variant_id: line.quantity for line in cart.lines}


def choose_shipping(state: CheckoutState, choices: Mapping[str, str]) -> CheckoutState:
    """Record one quoted rate per merchant; unknown merchants or rates are refused."""
    chosen = {}
    for merchant, quotes in state.quotes.items():
        rate_id = choices.get(merchant, "")
        if not any(quote["rate_id"] == rate_id for quote in quotes):
            raise CheckoutProblem("Choose a shipping method for every shop.")
        chosen[merchant] = rate_id
    state.shipping = chosen
    return state


def find_promotion(
    session: Session, code: str, goods: int, now: datetime | None = None
) -> Promotion:
    """The usable promotion for `code` on `goods`, or PromoCodeRejected saying why not."""
    normalised = code.strip().upper()
    promotion = session.scalar(sa.select(Promotion).where(Promotion.code == normalised))
    now = now or utcnow()
    if promotion is None or not promotion.is_active:
        raise PromoCodeRejected(f"{normalised or 'That code'} is not a valid promo code.")
    if promotion.starts_at and promotion.starts_at > now:
        raise PromoCodeRejected(f"{normalised} is not valid yet.")
    if promotion.expires_at and promotion.expires_at <= now:
        raise PromoCodeRejected(f"{normalised} has expired.")
    if promotion.usage_limit is not None and promotion.times_used >= promotion.usage_limit:
        raise PromoCodeRejected(f"{normalised} has been used up.")
    if goods < promotion.minimum_spend:
        minimum = Money(promotion.minimum_spend, promotion.currency).format()
        raise PromoCodeRejected(f"{normalised} needs a subtotal of at least {minimum}.")
    return promotion


def apply_promo(session: Session, state: CheckoutState, code: str, cart: CartView) -> CheckoutState:
    """Attach a promo code after checking it applies to this cart."""
    promotion = find_promotion(session, code, cart.subtotal.amount)
    state.promo_code = promotion.code
    return state


def summarize(
    session: Session, config: Mapping, cart: CartView, state: CheckoutState
) -> CheckoutSummary:
    """Price the checkout line by line: goods, discount, shipping per merchant, tax, total."""
    shipments = tuple(
        ShipmentChoice(
            group=group,
            quotes=tuple(state.quotes.get(str(group.merchant_id), [])),
            chosen=_chosen(state, group.merchant_id),
        )
        for group in cart.groups
    )
    subtotal = cart.subtotal.amount
    discount = _discount(session, state, subtotal)
    shipping = sum(choice.chosen["amount"] for choice in shipments if choice.chosen)
    rate = _tax_rate(config, state)
    return CheckoutSummary(
        currency=cart.currency,
        shipments=shipments,
        subtotal=subtotal,
        discount=discount,
        shipping=shipping,
        tax=rate.tax_on(subtotal - discount, shipping),
        tax_label=rate.label,
        promo_code=state.promo_code if discount else "",
    )


def _chosen(state: CheckoutState, merchant_id: int) -> dict | None:
    rate_id = state.shipping.get(str(merchant_id))
    quotes = state.quotes.get(str(merchant_id), [])
    return next((quote for quote in quotes if quote["rate_id"] == rate_id), None)


def _discount(session: Session, state: CheckoutState, subtotal: int) -> int:
    if not state.promo_code:
        return 0
    try:
        promotion = find_promotion(session, state.promo_code, subtotal)
    except PromoCodeRejected:
        return 0
    return discount_amount(promotion.kind, promotion.value, subtotal)


def _tax_rate(config: Mapping, state: CheckoutState) -> TaxRate:
    table = load_tax_table(config.get("TAX_RATES_FILE") or None)
    return table.rate_for(state.address.get("country", ""), state.address.get("region", ""))


def place_order(
    session: Session,
    config: Mapping,
    cart: CartView,
    state: CheckoutState,
    user_id: int | None,
    reviewed: str | None = None,
) -> Order:
    """Place the order: re-check everything, redeem the promo code and reserve the stock.

    Idempotent by the checkout token: a replay returns the order already placed. `reviewed` is
    the fingerprint of the summary the shopper saw; if the order would differ, nothing is placed.
    The caller commits; on CheckoutProblem or InsufficientStock it must roll back.
    """
    existing = orders.order_for_token(session, state.token)
    if existing is not None:
        return existing
    _check_ready(cart, state)
    summary = summarize(session, config, cart, state)
    if reviewed is not None and reviewed != summary.fingerprint:
        raise OrderChanged("Your order changed since you reviewed it. Check it and place it again.")
    if state.promo_code and not summary.discount:
        find_promotion(session, state.promo_code, summary.subtotal)
    order, created = orders.place_order(session, _new_order(cart, state, summary, user_id, config))
    if created and summary.promo_code:
        redeem_promotion(session, summary.promo_code, order.number)
    return order


def _check_ready(cart: CartView, state: CheckoutState) -> None:
    if cart.is_empty:
        raise CheckoutProblem("Your cart is empty.")
    if cart.notices:
        raise CheckoutProblem("Your cart changed: " + " ".join(cart.notices))
    if not state.has_address:
        raise CheckoutProblem("Enter your contact details and shipping address.")
    if state.quote_key != quote_key(cart, state):
        raise CheckoutProblem("Your cart changed; choose shipping again.")
    for group in cart.groups:
        if _chosen(state, group.merchant_id) is None:
            raise CheckoutProblem(f"Choose a shipping method for {group.merchant_name}.")


def _new_order(
    cart: CartView,
    state: CheckoutState,
    summary: CheckoutSummary,
    user_id: int | None,
    config: Mapping,
) -> orders.NewOrder:
    return orders.NewOrder(
        checkout_token=state.token,
        email=state.email,
        user_id=user_id,
        shipping_address=dict(state.address),
        lines=tuple(
            orders.LineSpec(
                variant_id=line.variant_id,
                product_id=line.product_id,
                merchant_id=line.merchant_id,
                merchant_name=line.merchant_name,
                sku=line.sku,
                product_name=line.product_name,
                product_slug=line.product_slug,
                variant_name=line.variant_name,
                unit_price=line.unit_price.amount,
                quantity=line.quantity,
            )
            for line in cart.lines
        ),
        shipments=tuple(
            orders.ShipmentSpec(
                merchant_id=choice.group.merchant_id,
                merchant_name=choice.group.merchant_name,
                rate_id=choice.chosen["rate_id"],
                label=choice.chosen["label"],
                amount=choice.chosen["amount"],
                weight_grams=choice.group.weight_grams,
            )
            for choice in summary.shipments
        ),
        totals=orders.Totals(
            currency=summary.currency,
            subtotal=summary.subtotal,
            discount=summary.discount,
            shipping=summary.shipping,
            tax=summary.tax,
            total=summary.total,
            tax_label=summary.tax_label,
        ),
        promo_code=summary.promo_code,
        hold_for=timedelta(minutes=int(config.get("RESERVATION_MINUTES", 15))),
    )


def redeem_promotion(session: Session, code: str, reference: str) -> None:
    """Count one use of the code, atomically: a code at its limit is refused, never overused."""
    now = utcnow()
    promotion_id = session.scalar(
        sa.update(Promotion)
        .where(
            Promotion.code == code,
            Promotion.is_active.is_(True),
            sa.or_(Promotion.usage_limit.is_(None), Promotion.times_used < Promotion.usage_limit),
            sa.or_(Promotion.expires_at.is_(None), Promotion.expires_at > now),
        )
        .values(times_used=Promotion.times_used + 1)
        .returning(Promotion.id)
        .execution_options(synchronize_session=False)
    )
    if promotion_id is None:
        raise PromoCodeRejected(f"{code} has just been used up or has expired.")
    session.add(PromotionRedemption(promotion_id=promotion_id, order_reference=reference))


def release_promotion(session: Session, reference: str) -> bool:
    """The order was never paid (expired, cancelled): give its use of the code back."""
    redemption = session.scalar(
        sa.select(PromotionRedemption)
        .where(
            PromotionRedemption.order_reference == reference,
            PromotionRedemption.released_at.is_(None),
        )
        .with_for_update()
    )
    if redemption is None:
        return False
    redemption.released_at = utcnow()
    session.execute(
        sa.update(Promotion)
        .where(Promotion.id == redemption.promotion_id, Promotion.times_used > 0)
        .values(times_used=Promotion.times_used - 1)
    )
    return True
