"""The journey figures of a date range, read from the daily rollup (`journey_days`).

One function per table: the page's cards, its charts, its tables, the API and the CSV export
all read through these, so they cannot disagree. Dates are days in the store's timezone, both
ends included. Every rate has its formula in `FORMULAS`, shown next to the number."""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from recete_app.backend.analytics.attribution import windows_for
from recete_app.backend.analytics.pricing import default_card
from recete_app.backend.db import current_merchant_id, session_scope
from recete_app.backend.errors import InvalidInput
from recete_app.backend.models import JourneyDay, Merchant

MAX_DAYS = 400
# Days outside these years are refused: a range's previous period (or its next day) must still
# be a date Python can hold, and nothing Recete records is older or newer.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
COUNTS = ("sent", "delivered", "read", "replied", "clicked", "failed", "opted_out", "billable")
FORMULAS = {
    "sent": "journey messages WhatsApp accepted, on the day they went out",
    "delivered": "sent messages that reached the phone (a read counts as delivered)",
    "read": "delivered messages the customer opened",
    "replied": "messages the customer wrote back to within 72 hours (an opt-out is not a reply)",
    "clicked": "messages whose link a person opened (link-preview fetchers are not counted)",
    "failed": "messages refused for good or reported failed, and never delivered",
    "opted_out": "customers who opted out within 72 hours, counted against the latest step",
    "delivered_rate": "delivered ÷ sent",
    "read_rate": "read ÷ delivered",
    "reply_rate": "replied ÷ delivered",
    "click_rate": "clicked ÷ delivered",
    "cost_estimate": "billable messages × the rate card's price for their category and the "
    "customer's country calling code (estimated, USD)",
    "attributed_orders": "orders placed within the attribution window after reading a journey "
    "message or clicking its link (the last one touched wins), counted on the day it went out",
    "attributed_revenue": "the attributed orders' totals, per currency",
}


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> DateRange:
        """The same number of days just before it: what a change is measured against."""
        return DateRange(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


def date_range(start: str | date | None, end: str | date | None) -> DateRange:
    """A checked range; a bad one is InvalidInput naming the field (`from`, `to`)."""
    parsed = {"from": _day(start, "from"), "to": _day(end, "to")}
    first, last = parsed["from"], parsed["to"]
    for name, day in parsed.items():
        if not FIRST_DAY <= day <= LAST_DAY:
            refuse(name, f"a day from {FIRST_DAY} to {LAST_DAY}")
    if first > last:
        refuse("from", "must not be after to")
    if (last - first).days + 1 > MAX_DAYS:
        refuse("to", f"a range is at most {MAX_DAYS} days")
    return DateRange(first, last)


def _day(value: str | date | None, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        refuse(name, "a date as YYYY-MM-DD")
    raise AssertionError  # unreachable: _refuse raises


def refuse(name: str, message: str) -> None:
    """Refuse a query: InvalidInput naming the field."""
    raise InvalidInput(f"{name}: {message}", details=[{"field": name, "message": message}])


@dataclass
class Figures:
    """Journey figures summed over some days (one step's, one day's, or all of them)."""

    sent: int = 0
    delivered: int = 0
    read: int = 0
    replied: int = 0
    clicked: int = 0
    failed: int = 0
    opted_out: int = 0
    billable: int = 0
    cost_estimate: Decimal = Decimal(0)
    attributed_orders: int = 0
    attributed_revenue: dict[str, Decimal] = field(default_factory=dict)
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, day: JourneyDay) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(day, name))
        self.cost_estimate += Decimal(day.cost_estimate)
        self.attributed_orders += day.attributed_orders
        for currency, total in day.attributed_revenue.items():
            self.attributed_revenue[currency] = self.attributed_revenue.get(
                currency, Decimal(0)
            ) + Decimal(str(total))
        for code, failure in day.failures.items():
            entry = self.failures.setdefault(code, {"count": 0, "title": failure.get("title")})
            entry["count"] += int(failure.get("count", 0))

    @property
    def rates(self) -> dict[str, float | None]:
        return {
            "delivered_rate": _ratio(self.delivered, self.sent),
            "read_rate": _ratio(self.read, self.delivered),
            "reply_rate": _ratio(self.replied, self.delivered),
            "click_rate": _ratio(self.clicked, self.delivered),
        }

    def as_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        row.update(self.rates)
        return row


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _days(session: Session, span: DateRange) -> list[JourneyDay]:
    return list(
        session.exec(
            select(JourneyDay)
            .where(
                JourneyDay.merchant_id == current_merchant_id(session),
                col(JourneyDay.day) >= span.start,
                col(JourneyDay.day) <= span.end,
            )
            .order_by(col(JourneyDay.day), col(JourneyDay.step))
        ).all()
    )


def summed(days: Iterable[JourneyDay]) -> Figures:
    """All steps together over the days given: the summary cards."""
    total = Figures()
    for day in days:
        total.add(day)
    return total


def by_step(days: Iterable[JourneyDay]) -> dict[str, Figures]:
    """Each journey step over the days given: the funnel and its table."""
    grouped: dict[str, list[JourneyDay]] = defaultdict(list)
    for day in days:
        grouped[day.step].append(day)
    return {step: summed(rows) for step, rows in sorted(grouped.items(), key=_step_order)}


def by_day(days: Iterable[JourneyDay], span: DateRange) -> list[tuple[date, Figures]]:
    """Each day of the range (days without sends included, as zeros): the time series."""
    grouped: dict[date, list[JourneyDay]] = defaultdict(list)
    for day in days:
        grouped[day.day].append(day)
    return [
        (span.start + timedelta(days=n), summed(grouped.get(span.start + timedelta(days=n), [])))
        for n in range(span.days)
    ]


def _step_order(item: tuple[str, Any]) -> tuple[int, str]:
    """day3_usage_tips before day14_check_in: by the step's day, then its name."""
    step = item[0]
    number = step.removeprefix("day").split("_", 1)[0]
    return (int(number) if number.isdigit() else 10**6, step)


def store_timezone(session: Session) -> str:
    zone = session.exec(
        select(Merchant.timezone).where(Merchant.id == current_merchant_id(session))
    ).first()
    return zone or "UTC"


def store_timezone_of(merchant_id: uuid.UUID) -> str:
    with session_scope(merchant_id) as session:
        return store_timezone(session)


def store_today(merchant_id: uuid.UUID) -> date:
    """Today, in the store's timezone: where its ranges of days end."""
    return datetime.now(ZoneInfo(store_timezone_of(merchant_id))).date()


def last_rollup(session: Session) -> Any:
    """When the figures were last rolled up (None before the first rollup)."""
    return session.execute(
        sa.select(sa.func.max(col(JourneyDay.rolled_up_at))).where(
            col(JourneyDay.merchant_id) == current_merchant_id(session)
        )
    ).scalar()


@dataclass(frozen=True)
class JourneyReport:
    """Everything the Analytics page, the API and the CSV export show for a range."""

    span: DateRange
    timezone: str
    totals: Figures
    previous: Figures  # the same number of days just before
    steps: dict[str, Figures]
    daily: list[tuple[date, Figures]]
    rolled_up_at: Any
    click_days: int
    read_days: int
    rate_card: str  # its name and date


def journey_report(merchant_id: uuid.UUID, span: DateRange) -> JourneyReport:
    """The range and the same number of days before it, read in one query."""
    previous = span.previous()
    with session_scope(merchant_id) as session:
        rows = _days(session, DateRange(previous.start, span.end))
        windows = windows_for(session)
        card = default_card()
        current = [row for row in rows if row.day >= span.start]
        return JourneyReport(
            span=span,
            timezone=store_timezone(session),
            totals=summed(current),
            previous=summed(row for row in rows if row.day < span.start),
            steps=by_step(current),
            daily=by_day(current, span),
            rolled_up_at=last_rollup(session),
            click_days=windows.click_days,
            read_days=windows.read_days,
            rate_card=f"{card.name}, effective {card.effective}",
        )


TABLES = ("journeys", "daily")
RATES = ("delivered_rate", "read_rate", "reply_rate", "click_rate")
# The figures a day has as one number (the daily series' metrics).
NUMBERS = (*COUNTS, *RATES, "cost_estimate", "attributed_orders")
_CSV_COLUMNS = (*NUMBERS, "attributed_revenue")


def csv_text(report: JourneyReport, table: str) -> str:
    """A table of the report as CSV: the rows the page's table shows, from the same figures."""
    if table not in TABLES:
        refuse("table", f"one of {', '.join(TABLES)}")
    out = io.StringIO()
    writer = csv.writer(out)
    key = "step" if table == "journeys" else "day"
    writer.writerow([key, *_CSV_COLUMNS])
    rows: list[tuple[str, Figures]] = (
        list(report.steps.items())
        if table == "journeys"
        else [(day.isoformat(), figures) for day, figures in report.daily]
    )
    for name, figures in rows:
        row = figures.as_row()
        writer.writerow([name, *(_cell(row[column]) for column in _CSV_COLUMNS)])
    return out.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(f"{currency} {total}" for currency, total in sorted(value.items()))
    return "" if value is None else str(value)
