"""Staff of merchants, signed in: the people every portal test acts as."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.accounts import services as accounts
from app.accounts.models import Role, User
from app.merchants.models import Merchant, MerchantMembership
from tests.support.factories import make_merchant

PASSWORD = "correct horse battery"
_numbers = count(1)


@dataclass
class Staff:
    """A staff member of `merchant`, with a client signed in as them."""

    user: User
    merchant: Merchant
    client: FlaskClient


def signed_in(app: Flask, email: str) -> FlaskClient:
    """A client signed in as the user with `email` (password PASSWORD)."""
    client = app.test_client()
    response = client.post("/account/login", data={"email": email, "password": PASSWORD})
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    return client


def make_user(session: Session, role: Role = Role.CUSTOMER, email: str | None = None) -> User:
    """A user who can sign in with PASSWORD."""
    email = email or f"user{next(_numbers)}@example.com"
    user = accounts.register_user(session, email=email, password=PASSWORD, name=email, role=role)
    session.commit()
    return user


def make_staff(
    app: Flask, session: Session, merchant: Merchant | None = None, *, owner: bool = True
) -> Staff:
    """A (by default owning) staff member of `merchant` (a new active one if none), signed in."""
    merchant = merchant or make_merchant()
    user = make_user(session, Role.MERCHANT)
    session.add(MerchantMembership(user_id=user.id, merchant_id=merchant.id, is_owner=owner))
    session.commit()
    return Staff(user=user, merchant=merchant, client=signed_in(app, user.email))
