"""Sales reports of one merchant: sales per day, orders awaiting fulfilment, top products, and the
merchant dashboard that gathers them with the merchant's low stock.

Every query is scoped by the merchant it is given (through that merchant's fulfilments) and
aggregated in the database, so a report sends the same few statements whatever the number of
orders. A sale is a line of the merchant's part of a paid order that was neither cancelled nor
refunded in full, counted on the UTC calendar day of its payment. Refunds are recorded per order,
not per merchant, so a partly refunded order still counts in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from app.database import utcnow
from app.inventory import reports as inventory_reports
from app.money import Money
from app.orders.models import Fulfilment, FulfilmentStatus, Order, OrderLine, OrderStatus

RANGE_PRESETS = (7, 30, 90)
DEFAULT_RANGE = 30
AWAITING_SHOWN = 5
TOP_PRODUCTS_SHOWN = 5
LOW_STOCK_SHOWN = 10

# A merchant's part of a paid order that still counts as sold.
SOLD = (FulfilmentStatus.UNFULFILLED, FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED)


class UtcDay(FunctionElement):
    """SQL: the UTC calendar day of a timestamp column."""

    type = sa.Date()
    inherit_cache = True


@compiles(UtcDay)
def _utc_day_sqlite(element: UtcDay, compiler, **kw) -> str:
    # SQLite keeps timestamps as UTC text (app.database.UTCDateTime): its date is the UTC day.
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(UtcDay, "postgresql")
def _utc_day_postgresql(element: UtcDay, compiler, **kw) -> str:
    # A timestamptz's day depends on the session's time zone unless it is turned to UTC first.
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


# -- Pure rules ------------------------------------------------------------------------------


def report_range(days: int, today: date) -> tuple[date, date]:
    """The first and last day (both included) of the `days` days ending today."""
    if days < 1:
        raise ValueError("a report covers at least one day")
    return today - timedelta(days=days - 1), today


def day_span(start: date, end: date) -> list[date]:
    """Every day from `start` to `end`, both included."""
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def age_text(delta: timedelta) -> str:
    """How long ago, in the largest whole unit: "3 days", "1 hour", "under a minute"."""
    seconds = max(int(delta.total_seconds()), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "under a minute"


@dataclass(frozen=True)
class SalesDay:
    """One day's sales: orders, units and the amount in each of the report's currencies."""

    day: date
    orders: int
    units: int
    amounts: tuple[Money, ...]


@dataclass(frozen=True)
class SalesReport:
    """Sales per day over a range, every day present (days without sales at zero)."""

    start: date
    end: date
    currencies: tuple[str, ...]
    days: tuple[SalesDay, ...]

    @property
    def orders(self) -> int:
        return sum(day.orders for day in self.days)

    @property
    def units(self) -> int:
        return sum(day.units for day in self.days)

    @property
    def totals(self) -> tuple[Money, ...]:
        return tuple(
            Money(sum(day.amounts[index].amount for day in self.days), currency)
            for index, currency in enumerate(self.currencies)
        )

    def summary(self) -> str:
        """One sentence for the chart's text alternative."""
        totals = " and ".join(total.format() for total in self.totals)
        text = (
            f"Sales per day from {self.start.isoformat()} to {self.end.isoformat()}: "
            f"{totals} from {self.orders} order{'' if self.orders == 1 else 's'}"
        )
        if not self.orders:
            return f"{text}."
        best = max(self.days, key=lambda day: (day.amounts[0].amount, day.orders))
        return f"{text}; the best day was {best.day.isoformat()} ({best.amounts[0].format()})."

    def chart_data(self) -> dict:
        """What the browser draws: the days and, per currency, the amounts in minor units."""
        return {
            "labels": [day.day.isoformat() for day in self.days],
            "series": [
                {
                    "currency": currency,
                    "exponent": Money(0, currency).exponent,
                    "amounts": [day.amounts[index].amount for day in self.days],
                }
                for index, currency in enumerate(self.currencies)
            ],
        }


def fill_days(
    start: date,
    end: date,
    rows: Iterable[tuple[date, str, int, int, int]],
    default_currency: str,
) -> SalesReport:
    """A report from `(day, currency, orders, units, amount)` rows, zero for every day without
    any; with no rows at all its one currency is `default_currency`."""
    rows = list(rows)
    currencies = tuple(sorted({currency for _, currency, *_ in rows})) or (default_currency,)
    by_day: dict[date, dict[str, tuple[int, int, int]]] = {}
    for day, currency, orders, units, amount in rows:
        by_day.setdefault(day, {})[currency] = (orders, units, amount)
    days = []
    for day in day_span(start, end):
        figures = by_day.get(day, {})
        days.append(
            SalesDay(
                day=day,
                orders=sum(orders for orders, _, _ in figures.values()),
                units=sum(units for _, units, _ in figures.values()),
                amounts=tuple(
                    Money(figures.get(currency, (0, 0, 0))[2], currency) for currency in currencies
                ),
            )
        )
    return SalesReport(start=start, end=end, currencies=currencies, days=tuple(days))


# -- Queries ---------------------------------------------------------------------------------


def _sold_lines(merchant_id: int, start: date, end: date) -> sa.Select:
    """The merchant's sold lines paid between `start` and `end` (UTC days, both included).

    Lines are reached only through the merchant's fulfilments (their index), never joined to
    orders directly: PostgreSQL then reads just those fulfilments' lines instead of scanning
    every order line of the store."""
    return (
        sa.select()
        .select_from(Fulfilment)
        .join(Order, Order.id == Fulfilment.order_id)
        .join(OrderLine, OrderLine.fulfilment_id == Fulfilment.id)
        .where(
            Fulfilment.merchant_id == merchant_id,
            Fulfilment.status.in_(SOLD),
            Order.status != OrderStatus.REFUNDED,
            Order.paid_at >= day_start(start),
            Order.paid_at < day_start(end + timedelta(days=1)),
        )
    )


def sales_by_day(
    session: Session, merchant_id: int, start: date, end: date, default_currency: str = "USD"
) -> SalesReport:
    """The merchant's sales per UTC day from `start` to `end` (both included), in integer minor
    units per currency; one aggregate query."""
    day = UtcDay(Order.paid_at)
    rows = session.execute(
        _sold_lines(merchant_id, start, end)
        .add_columns(
            day,
            Order.currency,
            sa.func.count(sa.distinct(Order.id)),
            sa.func.sum(OrderLine.quantity),
            sa.func.sum(OrderLine.line_total_amount),
        )
        .group_by(day, Order.currency)
    )
    return fill_days(
        start,
        end,
        (
            (day, currency, int(orders), int(units), int(amount))
            for day, currency, orders, units, amount in rows
        ),
        default_currency,
    )


@dataclass(frozen=True)
class TopProduct:
    """A product the merchant sold in the range: units and revenue (in one currency)."""

    product_id: int | None
    name: str
    units: int
    revenue: Money


def top_products(
    session: Session, merchant_id: int, start: date, end: date, limit: int = TOP_PRODUCTS_SHOWN
) -> list[TopProduct]:
    """The merchant's best sellers from `start` to `end` by units, then revenue; one query.

    Lines are grouped by product, so a renamed product stays one row (under one of the names it
    was sold under); lines of a deleted product are grouped by the name they were sold under."""
    gone_product_name = sa.case((OrderLine.product_id.is_(None), OrderLine.product_name))
    units = sa.func.sum(OrderLine.quantity)
    revenue = sa.func.sum(OrderLine.line_total_amount)
    rows = session.execute(
        _sold_lines(merchant_id, start, end)
        .add_columns(
            OrderLine.product_id,
            sa.func.max(OrderLine.product_name),
            Order.currency,
            units,
            revenue,
        )
        .group_by(OrderLine.product_id, gone_product_name, Order.currency)
        .order_by(units.desc(), revenue.desc(), OrderLine.product_id)
        .limit(limit)
    )
    return [
        TopProduct(product_id, name, int(sold), Money(int(amount), currency))
        for product_id, name, currency, sold, amount in rows
    ]


@dataclass(frozen=True)
class AwaitingOrder:
    """The merchant's part of a paid order that has not shipped yet."""

    number: str
    paid_at: datetime
    units: int
    subtotal: Money
    shipping_label: str

    def age(self, now: datetime) -> str:
        """How long it has waited since payment."""
        return age_text(now - self.paid_at)


@dataclass(frozen=True)
class AwaitingFulfilment:
    """How many of the merchant's parts of orders wait to be shipped, and the oldest of them."""

    count: int
    oldest: tuple[AwaitingOrder, ...]


def awaiting_fulfilment(
    session: Session, merchant_id: int, limit: int = AWAITING_SHOWN
) -> AwaitingFulfilment:
    """The merchant's paid, unshipped fulfilments: their number and the `limit` that have waited
    longest; two queries."""
    waiting = (
        Fulfilment.merchant_id == merchant_id,
        Fulfilment.status == FulfilmentStatus.UNFULFILLED,
    )
    count = session.scalar(sa.select(sa.func.count()).select_from(Fulfilment).where(*waiting))
    rows = session.execute(
        sa.select(
            Order.number,
            Order.paid_at,
            Order.currency,
            Fulfilment.subtotal_amount,
            Fulfilment.shipping_label,
            sa.func.coalesce(sa.func.sum(OrderLine.quantity), 0),
        )
        .select_from(Fulfilment)
        .join(Order, Order.id == Fulfilment.order_id)
        .outerjoin(OrderLine, OrderLine.fulfilment_id == Fulfilment.id)
        .where(*waiting)
        .group_by(
            Fulfilment.id,
            Order.id,
            Order.number,
            Order.paid_at,
            Order.currency,
            Fulfilment.subtotal_amount,
            Fulfilment.shipping_label,
        )
        .order_by(Order.paid_at, Order.id)
        .limit(limit)
    )
    oldest = tuple(
        AwaitingOrder(number, paid_at, int(units), Money(subtotal, currency), label)
        for number, paid_at, currency, subtotal, label, units in rows
    )
    return AwaitingFulfilment(count=count or 0, oldest=oldest)


@dataclass(frozen=True)
class Dashboard:
    """Everything the merchant dashboard shows, for one merchant and one range of days."""

    days: int
    now: datetime
    sales: SalesReport
    awaiting: AwaitingFulfilment
    top_products: tuple[TopProduct, ...]
    low_stock: inventory_reports.LowStock


def merchant_dashboard(
    session: Session,
    merchant_id: int,
    *,
    days: int = DEFAULT_RANGE,
    currency: str = "USD",
    now: datetime | None = None,
) -> Dashboard:
    """The merchant's dashboard over the last `days` days (one of RANGE_PRESETS), ending today
    (UTC); a fixed number of queries."""
    if days not in RANGE_PRESETS:
        raise ValueError(f"a dashboard covers one of {RANGE_PRESETS} days, not {days}")
    now = now or utcnow()
    start, end = report_range(days, now.astimezone(UTC).date())
    return Dashboard(
        days=days,
        now=now,
        sales=sales_by_day(session, merchant_id, start, end, currency),
        awaiting=awaiting_fulfilment(session, merchant_id),
        top_products=tuple(top_products(session, merchant_id, start, end)),
        low_stock=inventory_reports.low_stock(session, merchant_id, LOW_STOCK_SHOWN),
    )
