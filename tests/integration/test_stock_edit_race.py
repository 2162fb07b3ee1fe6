"""Concurrent stock edits on real PostgreSQL: of edits made on the same figures exactly one is
saved, the others are refused as stale, and no update is lost; sales crossing the threshold
together record one alert."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.database import utcnow
from app.inventory import merchant_stock, services
from app.inventory.merchant_stock import StaleStock
from app.inventory.models import StockItem, StockLedgerEntry, StockReason
from tests.support.buying import events_named, ledger_totals, stock
from tests.support.factories import make_merchant, make_product
from tests.support.waiting import wait_for_event

pytestmark = pytest.mark.usefixtures("postgres")

ROUNDS = 15
EDITORS = 6


@pytest.fixture()
def engine(app):
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=EDITORS + 2)
    yield engine
    engine.dispose()


def version_of(session, variant_id: int) -> int:
    return session.scalar(sa.select(StockItem.version).where(StockItem.variant_id == variant_id))


def adjustments(session, variant_id: int) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(StockLedgerEntry)
        .where(
            StockLedgerEntry.variant_id == variant_id,
            StockLedgerEntry.reason == StockReason.ADJUSTMENT,
        )
    )


def test_editors_saving_the_same_figures_at_once_one_wins_the_rest_are_stale(app, postgres, engine):
    merchant = make_merchant()
    variant_id = make_product(merchant=merchant, stock=10).variants[0].id
    merchant_id = merchant.id

    for round_number in range(ROUNDS):
        seen = version_of(postgres, variant_id)
        postgres.commit()
        start = threading.Barrier(EDITORS)

        def save(
            editor: int,
            seen: int = seen,
            round_number: int = round_number,
            start: threading.Barrier = start,
        ) -> str:
            with app.app_context(), Session(engine) as session:
                start.wait()
                try:
                    merchant_stock.edit_stock(
                        session,
                        merchant_id,
                        variant_id,
                        on_hand=100 * round_number + editor,
                        low_stock_threshold=1,
                        expected_version=seen,
                        actor_id=None,
                    )
                    session.commit()
                except StaleStock as stale:
                    session.rollback()
                    assert stale.current.version > seen
                    return "stale"
                return f"saved {100 * round_number + editor}"

        with ThreadPoolExecutor(max_workers=EDITORS) as pool:
            outcomes = list(pool.map(save, range(EDITORS)))

        saved = [outcome for outcome in outcomes if outcome.startswith("saved")]
        assert len(saved) == 1, outcomes
        assert outcomes.count("stale") == EDITORS - 1
        assert stock(variant_id) == (int(saved[0].split()[1]), 0)
        assert version_of(postgres, variant_id) == seen + 1
        postgres.commit()

    assert adjustments(postgres, variant_id) == ROUNDS
    assert ledger_totals(variant_id) == stock(variant_id)


def blocked_edit(app, engine, merchant_id: int, variant_id: int, seen: int, reached_update):
    """Run an edit on `seen` in a thread; `reached_update` is set as it sends its UPDATE."""

    def flag_update(connection, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("UPDATE STOCK_ITEMS"):
            reached_update.set()

    def edit() -> str:
        with app.app_context(), Session(engine) as session:
            connection = session.connection()
            sa.event.listen(connection, "before_cursor_execute", flag_update)
            try:
                merchant_stock.edit_stock(
                    session,
                    merchant_id,
                    variant_id,
                    on_hand=50,
                    low_stock_threshold=5,
                    expected_version=seen,
                    actor_id=None,
                )
                session.commit()
            except StaleStock as stale:
                session.rollback()
                return f"stale at version {stale.current.version}, on hand {stale.current.on_hand}"
            return "saved"

    return ThreadPoolExecutor(max_workers=1).submit(edit)


def test_an_edit_waiting_behind_another_on_the_same_figures_is_refused_by_the_update(
    app, postgres, engine
):
    merchant = make_merchant()
    variant_id = make_product(merchant=merchant, stock=10).variants[0].id
    seen = version_of(postgres, variant_id)
    postgres.commit()
    reached_update = threading.Event()

    with app.app_context(), Session(engine) as first:
        merchant_stock.edit_stock(
            first,
            merchant.id,
            variant_id,
            on_hand=30,
            low_stock_threshold=5,
            expected_version=seen,
            actor_id=None,
        )
        second = blocked_edit(app, engine, merchant.id, variant_id, seen, reached_update)
        wait_for_event(reached_update, "the second edit's UPDATE")
        first.commit()

    assert second.result(timeout=60) == f"stale at version {seen + 1}, on hand 30"
    assert stock(variant_id) == (30, 0)
    assert adjustments(postgres, variant_id) == 1


def test_a_sale_committed_while_an_edit_waits_makes_the_edit_stale(app, postgres, engine):
    merchant = make_merchant()
    variant_id = make_product(merchant=merchant, stock=10).variants[0].id
    seen = version_of(postgres, variant_id)
    postgres.commit()
    reached_update = threading.Event()

    with app.app_context(), Session(engine) as buyer:
        services.reserve_stock(
            buyer,
            reference="MP-race",
            lines=[(variant_id, 3)],
            expires_at=utcnow() + timedelta(minutes=15),
        )
        edit = blocked_edit(app, engine, merchant.id, variant_id, seen, reached_update)
        wait_for_event(reached_update, "the edit's UPDATE")
        buyer.commit()

    assert edit.result(timeout=60) == f"stale at version {seen + 1}, on hand 10"
    assert stock(variant_id) == (10, 3)
    assert ledger_totals(variant_id) == stock(variant_id)


def test_buyers_crossing_the_threshold_together_record_one_alert(app, postgres, engine):
    variant_id = make_product(stock=12).variants[0].id
    start = threading.Barrier(EDITORS)

    def buy(index: int) -> None:
        with app.app_context(), Session(engine) as session:
            start.wait()
            services.reserve_stock(
                session,
                reference=f"MP-low-{index}",
                lines=[(variant_id, 2)],
                expires_at=utcnow() + timedelta(minutes=15),
            )
            session.commit()

    with ThreadPoolExecutor(max_workers=EDITORS) as pool:
        list(pool.map(buy, range(EDITORS)))

    assert stock(variant_id) == (12, 12)
    (alert,) = events_named("StockLow")
    assert alert.payload["variant_id"] == variant_id
