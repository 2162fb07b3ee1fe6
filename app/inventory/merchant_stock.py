"""A merchant's stock, as its staff work on it: the table of variants, an edit of one row that
is refused when made on stale figures, bulk adjustments with a reason, and each variant's ledger.

Every function takes the merchant and scopes every query by it: another merchant's variant is
reported exactly like a missing one (`StockNotFound`). Product and variant names are read from the
catalog's tables by name (`sa.table`), as inventory sits below catalog and never imports it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.database import utcnow
from app.inventory import alerts
from app.inventory.models import StockItem, StockLedgerEntry, StockReason
from app.inventory.services import set_stock
from app.platform.pagination import Page

PER_PAGE = 50
LEDGER_PER_PAGE = 25
MAX_UNITS = 1_000_000
MAX_NOTE = 200
MAX_SEARCH = 100

PRODUCTS = sa.table(
    "products",
    sa.column("id", sa.Integer),
    sa.column("merchant_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("status", sa.String),
)
VARIANTS = sa.table(
    "product_variants",
    sa.column("id", sa.Integer),
    sa.column("product_id", sa.Integer),
    sa.column("merchant_id", sa.Integer),
    sa.column("sku", sa.String),
    sa.column("name", sa.String),
)
USERS = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("email", sa.String),
)
ARCHIVED = "archived"


class StockFilter(enum.StrEnum):
    """Which rows the table shows: all, low (at or below the threshold, out of stock included)
    or out of stock."""

    ALL = "all"
    LOW = "low"
    OUT = "out"

    @classmethod
    def parse(cls, value: object) -> StockFilter:
        """The filter named by untrusted input; anything unknown shows all rows."""
        try:
            return cls(str(value))
        except ValueError:
            return cls.ALL


@dataclass(frozen=True, slots=True)
class StockRow:
    """One variant's stock, as the table shows it."""

    variant_id: int
    product_id: int
    product_name: str
    sku: str
    options: str
    on_hand: int
    reserved: int
    threshold: int
    version: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def state(self) -> StockFilter:
        """OUT with nothing to sell, LOW at or below the threshold, otherwise ALL (in stock)."""
        if self.available <= 0:
            return StockFilter.OUT
        if self.available <= self.threshold:
            return StockFilter.LOW
        return StockFilter.ALL


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """One ledger entry: who, why, how much, when."""

    created_at: datetime
    reason: str
    on_hand_delta: int
    reserved_delta: int
    reference: str
    note: str
    actor_name: str


class StockNotFound(LookupError):
    """The variant does not exist or belongs to another merchant (the two look the same)."""


class StockRefused(ValueError):
    """The change breaks a rule; `errors` maps a field name to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class StaleStock(Exception):
    """The row changed since the figures the edit was made on; `current` is the row now."""

    def __init__(self, current: StockRow):
        super().__init__(
            f"stock of variant {current.variant_id} changed (now version {current.version})"
        )
        self.current = current


def _rows_query() -> sa.Select:
    return (
        sa.select(
            VARIANTS.c.id,
            VARIANTS.c.product_id,
            PRODUCTS.c.name,
            VARIANTS.c.sku,
            VARIANTS.c.name,
            sa.func.coalesce(StockItem.on_hand, 0),
            sa.func.coalesce(StockItem.reserved, 0),
            sa.func.coalesce(
                StockItem.low_stock_threshold, StockItem.__table__.c.low_stock_threshold.default.arg
            ),
            sa.func.coalesce(StockItem.version, 0),
        )
        .select_from(VARIANTS)
        .join(PRODUCTS, PRODUCTS.c.id == VARIANTS.c.product_id)
        .outerjoin(StockItem, StockItem.variant_id == VARIANTS.c.id)
    )


def _stock_row(row) -> StockRow:
    return StockRow(*row)


def _matching(columns: list, merchant_id: int, search: str, state: StockFilter) -> sa.Select:
    """SELECT `columns` of the merchant's variants that pass the filters.

    Products are never joined: archived ones are left out by a NOT IN over the merchant's few
    archived products, and a name search is an IN over the products whose name matches (each
    name tested once, not once per variant), so a page can be read from an index on
    product_variants alone; the stock row is joined only when a stock filter needs it.
    """
    archived = sa.select(PRODUCTS.c.id).where(
        PRODUCTS.c.merchant_id == merchant_id, PRODUCTS.c.status == ARCHIVED
    )
    statement = (
        sa.select(*columns)
        .select_from(VARIANTS)
        .where(VARIANTS.c.merchant_id == merchant_id, VARIANTS.c.product_id.not_in(archived))
    )
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        named = sa.select(PRODUCTS.c.id).where(
            PRODUCTS.c.merchant_id == merchant_id, PRODUCTS.c.name.ilike(pattern, escape="\\")
        )
        statement = statement.where(
            sa.or_(VARIANTS.c.sku.ilike(pattern, escape="\\"), VARIANTS.c.product_id.in_(named))
        )
    if state is StockFilter.ALL:
        return statement
    statement = statement.outerjoin(StockItem, StockItem.variant_id == VARIANTS.c.id)
    available = sa.func.coalesce(StockItem.on_hand - StockItem.reserved, 0)
    if state is StockFilter.OUT:
        return statement.where(available <= 0)
    return statement.where(
        sa.or_(StockItem.variant_id.is_(None), available <= StockItem.low_stock_threshold)
    )


def stock_table(
    session: Session,
    merchant_id: int,
    *,
    search: str = "",
    state: StockFilter = StockFilter.ALL,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[StockRow]:
    """One page of the merchant's variants (archived products left out) in SKU order, filtered
    by SKU or product name and by stock state: two queries, whatever the page size.

    The page's variant ids are picked first (SKUs are unique per merchant, so SKU order is
    total) and only those rows are joined to their names and stock: a deep page does not join
    every row before it. With an index on product_variants (merchant_id, sku) INCLUDE (id,
    product_id) a page is read from that index alone (see benchmarks/README.md).
    """
    search = search.strip()[:MAX_SEARCH]
    total = session.scalar(_matching([sa.func.count()], merchant_id, search, state))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    chosen = (
        _matching([VARIANTS.c.id, VARIANTS.c.sku], merchant_id, search, state)
        .order_by(VARIANTS.c.sku)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery("chosen")
    )
    rows = session.execute(
        _rows_query().join(chosen, chosen.c.id == VARIANTS.c.id).order_by(chosen.c.sku)
    )
    return Page([_stock_row(row) for row in rows], page, per_page, total)


def stock_row(session: Session, merchant_id: int, variant_id: int) -> StockRow:
    """One variant's row of the table; StockNotFound when it is not the merchant's."""
    row = session.execute(
        _rows_query().where(VARIANTS.c.id == variant_id, VARIANTS.c.merchant_id == merchant_id)
    ).first()
    if row is None:
        raise StockNotFound(variant_id)
    return _stock_row(row)


def _check_figures(on_hand: int, threshold: int | None = None) -> None:
    errors = {}
    if not 0 <= on_hand <= MAX_UNITS:
        errors["on_hand"] = f"On hand must be a whole number from 0 to {MAX_UNITS:,}."
    if threshold is not None and not 0 <= threshold <= MAX_UNITS:
        errors["low_stock_threshold"] = (
            f"The low-stock threshold must be a whole number from 0 to {MAX_UNITS:,}."
        )
    if errors:
        raise StockRefused(errors)


def _below_reserved(current: StockRow, on_hand: int) -> StockRefused:
    return StockRefused(
        {
            "on_hand": (
                f"{current.reserved} units are reserved by unpaid orders: on hand cannot be "
                f"set below {current.reserved}."
            )
        }
    )


def edit_stock(
    session: Session,
    merchant_id: int,
    variant_id: int,
    *,
    on_hand: int,
    low_stock_threshold: int,
    expected_version: int,
    actor_id: int | None,
    note: str = "",
) -> StockRow:
    """Set a row's units on hand and threshold, if it is still at `expected_version`.

    One conditional UPDATE (`... WHERE version = expected`) decides: of two edits made on the
    same figures one wins, the other raises StaleStock with the figures now, and so does an
    edit made before a sale, a reservation or an import changed the row. On hand below the
    reserved units raises StockRefused. The change is a ledger row (ADJUSTMENT, actor, note).
    """
    _check_figures(on_hand, low_stock_threshold)
    note = note.strip()[:MAX_NOTE]
    current = stock_row(session, merchant_id, variant_id)
    if current.version != expected_version:
        raise StaleStock(current)
    if on_hand < current.reserved:
        raise _below_reserved(current, on_hand)
    if current.version == 0:
        return _create_row(
            session, merchant_id, current, on_hand, low_stock_threshold, actor_id, note
        )
    changed = session.execute(
        sa.update(StockItem)
        .where(
            StockItem.variant_id == variant_id,
            StockItem.version == expected_version,
            StockItem.reserved <= on_hand,
        )
        .values(
            on_hand=on_hand,
            low_stock_threshold=low_stock_threshold,
            version=StockItem.version + 1,
            low_stock_alerted=alerts.clear_when_above(
                sa.literal(on_hand), StockItem.reserved, sa.literal(low_stock_threshold)
            ),
            updated_at=utcnow(),
        )
        .returning(*alerts.LEVEL_COLUMNS)
        .execution_options(synchronize_session=False)
    ).first()
    if changed is None:
        now = stock_row(session, merchant_id, variant_id)
        if now.version != expected_version:
            raise StaleStock(now)
        raise _below_reserved(now, on_hand)
    _ledger(session, variant_id, on_hand - current.on_hand, actor_id, note)
    alerts.note_levels(session, [alerts.level(changed)])
    return stock_row(session, merchant_id, variant_id)


def _create_row(
    session: Session,
    merchant_id: int,
    current: StockRow,
    on_hand: int,
    threshold: int,
    actor_id: int | None,
    note: str,
) -> StockRow:
    """The first stock figures of a variant that had none (version 0 in the table)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    created = session.execute(
        insert(StockItem)
        .values(
            variant_id=current.variant_id,
            product_id=current.product_id,
            on_hand=on_hand,
            reserved=0,
            low_stock_threshold=threshold,
            version=1,
            low_stock_alerted=on_hand <= threshold,
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[StockItem.variant_id])
        .returning(StockItem.variant_id)
    ).first()
    if created is None:
        raise StaleStock(stock_row(session, merchant_id, current.variant_id))
    _ledger(session, current.variant_id, on_hand, actor_id, note)
    return stock_row(session, merchant_id, current.variant_id)


def _ledger(
    session: Session,
    variant_id: int,
    on_hand_delta: int,
    actor_id: int | None,
    note: str,
    reference: str = "",
) -> None:
    session.add(
        StockLedgerEntry(
            variant_id=variant_id,
            on_hand_delta=on_hand_delta,
            reserved_delta=0,
            reason=StockReason.ADJUSTMENT,
            reference=reference,
            note=note,
            actor_id=actor_id,
        )
    )


def bulk_adjust(
    session: Session,
    merchant_id: int,
    variant_ids: Iterable[int],
    *,
    note: str,
    actor_id: int | None,
    delta: int | None = None,
    set_to: int | None = None,
) -> int:
    """Add `delta` to (or set `set_to` as) the units on hand of each selected row: all or none.

    A reason (`note`) is required and goes on each row's ledger entry. Rows are locked in
    variant order; a row that is not the merchant's raises StockNotFound, a row that would go
    below zero or below its reserved units raises StockRefused naming its SKU, and nothing is
    changed. Returns the number of rows changed.
    """
    note = note.strip()
    errors = {}
    wanted = sorted(set(variant_ids))
    if not wanted:
        errors["variant_ids"] = "Select at least one row to adjust."
    if not note:
        errors["note"] = "Give a reason for the adjustment."
    elif len(note) > MAX_NOTE:
        errors["note"] = f"Keep the reason under {MAX_NOTE} characters."
    if (delta is None) == (set_to is None):
        errors["amount"] = "Give either a change (such as -3 or 10) or a new figure."
    elif delta is not None and (delta == 0 or abs(delta) > MAX_UNITS):
        errors["amount"] = (
            f"The change must be a whole number from -{MAX_UNITS:,} to {MAX_UNITS:,}, not 0."
        )
    elif set_to is not None and not 0 <= set_to <= MAX_UNITS:
        errors["amount"] = f"The new figure must be a whole number from 0 to {MAX_UNITS:,}."
    if errors:
        raise StockRefused(errors)
    owned = {
        variant_id: (product_id, sku)
        for variant_id, product_id, sku in session.execute(
            sa.select(VARIANTS.c.id, VARIANTS.c.product_id, VARIANTS.c.sku).where(
                VARIANTS.c.merchant_id == merchant_id, VARIANTS.c.id.in_(wanted)
            )
        )
    }
    if len(owned) != len(wanted):
        raise StockNotFound(next(v for v in wanted if v not in owned))
    items = {
        item.variant_id: item
        for item in session.scalars(
            sa.select(StockItem)
            .where(StockItem.variant_id.in_(wanted))
            .order_by(StockItem.variant_id)
            .with_for_update()
        )
    }
    refused = []
    for variant_id in wanted:
        item = items.get(variant_id)
        on_hand, reserved = (item.on_hand, item.reserved) if item else (0, 0)
        target = set_to if set_to is not None else on_hand + delta
        if target < reserved or target > MAX_UNITS:
            refused.append(f"{owned[variant_id][1]} (on hand {on_hand}, reserved {reserved})")
    if refused:
        raise StockRefused(
            {
                "amount": "Nothing was changed: these rows would go below their reserved units "
                "or below zero: " + ", ".join(refused) + "."
            }
        )
    for variant_id in wanted:
        item = items.get(variant_id)
        on_hand = item.on_hand if item else 0
        set_stock(
            session,
            variant_id=variant_id,
            product_id=owned[variant_id][0],
            on_hand=set_to if set_to is not None else on_hand + delta,
            actor_id=actor_id,
            note=note,
        )
    return len(wanted)


def ledger(
    session: Session,
    merchant_id: int,
    variant_id: int,
    page: int = 1,
    per_page: int = LEDGER_PER_PAGE,
) -> tuple[StockRow, Page[LedgerLine]]:
    """The variant's row and one page of its ledger, newest first, with each actor's name."""
    row = stock_row(session, merchant_id, variant_id)
    total = session.scalar(
        sa.select(sa.func.count())
        .select_from(StockLedgerEntry)
        .where(StockLedgerEntry.variant_id == variant_id)
    )
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    lines = session.execute(
        sa.select(
            StockLedgerEntry.created_at,
            StockLedgerEntry.reason,
            StockLedgerEntry.on_hand_delta,
            StockLedgerEntry.reserved_delta,
            StockLedgerEntry.reference,
            StockLedgerEntry.note,
            sa.func.coalesce(sa.func.nullif(USERS.c.name, ""), USERS.c.email, ""),
        )
        .outerjoin(USERS, USERS.c.id == StockLedgerEntry.actor_id)
        .where(StockLedgerEntry.variant_id == variant_id)
        .order_by(StockLedgerEntry.created_at.desc(), StockLedgerEntry.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return row, Page([LedgerLine(*line) for line in lines], page, per_page, total)
