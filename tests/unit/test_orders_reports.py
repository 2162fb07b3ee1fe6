"""The sales report's rules that need no database: ranges, zero-filled days, ages, chart data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.money import Money
from app.orders.reports import (
    age_text,
    day_span,
    day_start,
    fill_days,
    report_range,
)

DEC_1 = date(2026, 12, 1)


def test_a_range_ends_today_and_counts_today():
    assert report_range(7, date(2026, 12, 5)) == (date(2026, 11, 29), date(2026, 12, 5))
    assert report_range(1, DEC_1) == (DEC_1, DEC_1)


def test_a_range_of_no_days_is_refused():
    with pytest.raises(ValueError):
        report_range(0, DEC_1)


def test_day_span_includes_both_ends_across_a_month():
    days = day_span(date(2026, 11, 29), date(2026, 12, 2))

    assert days == [date(2026, 11, 29), date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)]


def test_a_day_starts_at_midnight_utc():
    assert day_start(DEC_1) == datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=-5), "under a minute"),
        (timedelta(seconds=59), "under a minute"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=59, seconds=59), "59 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=23), "23 hours"),
        (timedelta(days=1, hours=5), "1 day"),
        (timedelta(days=12), "12 days"),
    ],
)
def test_age_is_told_in_the_largest_whole_unit(delta, text):
    assert age_text(delta) == text


def test_days_without_sales_are_zero():
    report = fill_days(
        DEC_1,
        DEC_1 + timedelta(days=3),
        [(DEC_1 + timedelta(days=1), "USD", 2, 5, 4500)],
        "USD",
    )

    assert [day.day for day in report.days] == day_span(DEC_1, DEC_1 + timedelta(days=3))
    assert [day.amounts for day in report.days] == [
        (Money(0, "USD"),),
        (Money(4500, "USD"),),
        (Money(0, "USD"),),
        (Money(0, "USD"),),
    ]
    assert [day.orders for day in report.days] == [0, 2, 0, 0]
    assert [day.units for day in report.days] == [0, 5, 0, 0]
    assert (report.orders, report.units, report.totals) == (2, 5, (Money(4500, "USD"),))


def test_no_sales_at_all_report_zero_in_the_default_currency():
    report = fill_days(DEC_1, DEC_1 + timedelta(days=6), [], "EUR")

    assert report.currencies == ("EUR",)
    assert len(report.days) == 7
    assert report.totals == (Money(0, "EUR"),)
    assert report.summary() == "Sales per day from 2026-12-01 to 2026-12-07: €0.00 from 0 orders."


def test_each_currency_keeps_its_own_amounts():
    report = fill_days(
        DEC_1,
        DEC_1 + timedelta(days=1),
        [
            (DEC_1, "USD", 1, 1, 1000),
            (DEC_1, "EUR", 1, 2, 700),
            (DEC_1 + timedelta(days=1), "EUR", 1, 1, 300),
        ],
        "USD",
    )

    assert report.currencies == ("EUR", "USD")
    assert report.days[0].amounts == (Money(700, "EUR"), Money(1000, "USD"))
    assert report.days[0].orders == 2
    assert report.days[1].amounts == (Money(300, "EUR"), Money(0, "USD"))
    assert report.totals == (Money(1000, "EUR"), Money(1000, "USD"))


def test_the_summary_names_the_total_and_the_best_day():
    report = fill_days(
        DEC_1,
        DEC_1 + timedelta(days=2),
        [(DEC_1, "USD", 1, 1, 999), (DEC_1 + timedelta(days=2), "USD", 2, 3, 12345)],
        "USD",
    )

    assert report.summary() == (
        "Sales per day from 2026-12-01 to 2026-12-03: $133.44 from 3 orders; "
        "the best day was 2026-12-03 ($123.45)."
    )


def test_chart_data_carries_minor_units_and_the_currency_exponent():
    report = fill_days(
        DEC_1, DEC_1 + timedelta(days=1), [(DEC_1 + timedelta(days=1), "JPY", 1, 1, 500)], "USD"
    )

    assert report.chart_data() == {
        "labels": ["2026-12-01", "2026-12-02"],
        "series": [{"currency": "JPY", "exponent": 0, "amounts": [0, 500]}],
    }
