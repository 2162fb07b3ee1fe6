"""Promo codes: every rule gives a clear reason, and the usage limit holds under a race."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.checkout import services as checkout
from app.checkout.models import DiscountKind, Promotion
from app.database import utcnow


def promotion(database, **values) -> Promotion:
    fields = {"code": "SAVE10", "kind": DiscountKind.PERCENT, "value": 1000, **values}
    promo = Promotion(**fields)
    database.add(promo)
    database.commit()
    return promo


@pytest.mark.parametrize(
    ("values", "goods", "reason"),
    [
        ({}, 1000, None),
        ({"is_active": False}, 1000, "not a valid promo code"),
        ({"expires_at": utcnow() - timedelta(seconds=1)}, 1000, "has expired"),
        ({"starts_at": utcnow() + timedelta(days=1)}, 1000, "not valid yet"),
        ({"usage_limit": 2, "times_used": 2}, 1000, "has been used up"),
        ({"minimum_spend": 5000}, 4999, r"at least \$50\.00"),
    ],
)
def test_promotion_rules(database, values, goods, reason):
    promotion(database, **values)
    if reason is None:
        assert checkout.find_promotion(database, " save10 ", goods).code == "SAVE10"
        return
    with pytest.raises(checkout.PromoCodeRejected, match=reason):
        checkout.find_promotion(database, "SAVE10", goods)


def test_unknown_code_is_named_in_the_message(database):
    with pytest.raises(checkout.PromoCodeRejected, match="NOPE is not a valid promo code"):
        checkout.find_promotion(database, "nope", 1000)


def test_release_gives_the_use_back_once(database):
    promo = promotion(database, usage_limit=1)
    checkout.redeem_promotion(database, "SAVE10", "MP-1")
    database.commit()
    with pytest.raises(checkout.PromoCodeRejected):
        checkout.redeem_promotion(database, "SAVE10", "MP-2")
    database.rollback()

    assert checkout.release_promotion(database, "MP-1")
    assert not checkout.release_promotion(database, "MP-1")
    database.commit()
    database.refresh(promo)
    assert promo.times_used == 0


def test_usage_limit_holds_when_many_orders_redeem_at_once(app, postgres):
    promotion(postgres, code="FIRST5", kind=DiscountKind.FIXED, value=500, usage_limit=5)
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=30, max_overflow=0)
    start = threading.Barrier(30)

    def redeem(index: int) -> bool:
        with app.app_context(), Session(engine) as session:
            start.wait()
            try:
                checkout.redeem_promotion(session, "FIRST5", f"MP-{index}")
                session.commit()
            except checkout.PromoCodeRejected:
                session.rollback()
                return False
            return True

    with ThreadPoolExecutor(max_workers=30) as pool:
        results = list(pool.map(redeem, range(30)))
    engine.dispose()

    assert results.count(True) == 5
    assert postgres.scalar(sa.select(Promotion.times_used)) == 5
