"""The Analytics page: what the journeys did over 7, 30 or 90 days (or a custom range) of the
store's own days, against the same number of days before, read from the same report as the API
and the CSV export (`analytics/reports.journey_report`)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import reflex as rx

from recete_app.backend.analytics import reports
from recete_app.backend.analytics.agent_report import agent_figures
from recete_app.backend.errors import RecetError
from recete_app.state import routes
from recete_app.state.agent_rows import agent_cards, agent_lists
from recete_app.state.session import MerchantPage, current_principal

PRESETS = ("7", "30", "90")
# The cards: (figure, label, how it is shown).
CARDS = (
    ("sent", "Sent", "count"),
    ("delivered_rate", "Delivered", "rate"),
    ("read_rate", "Read", "rate"),
    ("reply_rate", "Replied", "rate"),
    ("click_rate", "Clicked", "rate"),
    ("attributed_orders", "Attributed orders", "count"),
    ("attributed_revenue", "Attributed revenue", "money"),
    ("cost_estimate", "Estimated WhatsApp cost", "usd"),
)
STEP_COLUMNS = ("sent", "delivered", "read", "replied", "clicked", "failed", "opted_out")


def shown(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "rate":
        return f"{value:.1%}"
    if kind == "money":
        return ", ".join(f"{total:,.2f} {cur}" for cur, total in sorted(value.items())) or "–"
    if kind == "usd":
        return f"${Decimal(value):,.2f}"
    return f"{value:,}"


def cards_of(
    report: reports.JourneyReport, keys: tuple[str, ...] | None = None
) -> list[dict[str, str]]:
    """The cards (all, or those named), each with its previous period and its formula."""
    now, before = report.totals.as_row(), report.previous.as_row()
    return [
        {
            "key": key,
            "label": label,
            "value": shown(now[key], kind),
            "previous": f"previous {report.span.days} days: {shown(before[key], kind)}",
            "formula": reports.FORMULAS[key],
        }
        for key, label, kind in CARDS
        if keys is None or key in keys
    ]


def _step_rows(report: reports.JourneyReport) -> list[dict[str, str]]:
    rows = []
    for step, figures in report.steps.items():
        row = figures.as_row()
        rows.append(
            {
                "step": step,
                **{name: str(row[name]) for name in STEP_COLUMNS},
                "orders": str(row["attributed_orders"]),
                "revenue": shown(row["attributed_revenue"], "money"),
                "cost": shown(row["cost_estimate"], "usd"),
            }
        )
    return rows


def _series(report: reports.JourneyReport) -> list[dict[str, Any]]:
    return [
        {
            "day": day.strftime("%b %d"),
            "sent": f.sent,
            "read": f.read,
            "replied": f.replied,
            "orders": f.attributed_orders,
        }
        for day, f in report.daily
    ]


def _failures(report: reports.JourneyReport) -> list[dict[str, str]]:
    return [
        {"code": code, "title": str(f.get("title") or ""), "count": str(f["count"])}
        for code, f in sorted(report.totals.failures.items(), key=lambda i: -int(i[1]["count"]))
    ]


class AnalyticsState(MerchantPage, rx.State):
    preset: str = "30"
    start: str = ""
    end: str = ""
    timezone: str = "UTC"
    compared: str = ""
    cards: list[dict[str, str]] = []
    steps: list[dict[str, str]] = []
    series: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []
    has_sends: bool = False
    footnote: str = ""
    agent: list[dict[str, str]] = []
    reasons: list[str] = []
    adverse: list[str] = []

    async def _reread(self, merchant_id: uuid.UUID) -> None:
        if self.preset != "custom" or not self.start:
            today = await asyncio.to_thread(reports.store_today, merchant_id)
            days = int(self.preset if self.preset in PRESETS else "30")
            self.start, self.end = (today - timedelta(days=days - 1)).isoformat(), today.isoformat()
        span = reports.date_range(self.start, self.end)
        report = await asyncio.to_thread(reports.journey_report, merchant_id, span)
        figures = await asyncio.to_thread(
            agent_figures, merchant_id, span.start, span.end, report.timezone
        )
        self._show(report)
        self.agent = agent_cards(figures)
        self.reasons, self.adverse = agent_lists(figures)

    def _show(self, report: reports.JourneyReport) -> None:
        previous = report.span.previous()
        self.timezone = report.timezone
        self.compared = f"compared with {previous.start:%b %d} – {previous.end:%b %d, %Y}"
        self.cards = cards_of(report)
        self.steps = _step_rows(report)
        self.series = _series(report)
        self.failures = _failures(report)
        self.has_sends = bool(report.steps)
        rolled = report.rolled_up_at
        as_of = (
            f"Figures as of {rolled:%Y-%m-%d %H:%M} UTC." if rolled else "Nothing rolled up yet."
        )
        self.footnote = (
            f"Costs are estimated with the {report.rate_card}. Orders are attributed within "
            f"{report.click_days} days of a click or {report.read_days} day(s) of a read. {as_of}"
        )

    @rx.event
    async def choose(self, preset: str | list[str]) -> Any:
        chosen = preset if isinstance(preset, str) else next(iter(preset), "30")
        self.preset = chosen if chosen in PRESETS else "30"
        self.start = ""
        return await self._again()

    @rx.event
    async def custom(self, form: dict[str, Any]) -> Any:
        self.preset, self.start, self.end = "custom", str(form.get("from")), str(form.get("to"))
        return await self._again()

    async def _again(self) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.error = ""
        try:
            await self._reread(principal.merchant_id)
        except RecetError as exc:
            self.error = f"That range cannot be shown: {exc.message}."
        return None

    @rx.event
    async def download(self, table: str) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        span = reports.date_range(self.start, self.end)
        report = await asyncio.to_thread(reports.journey_report, principal.merchant_id, span)
        text = reports.csv_text(report, table)
        name = f"recete-{table}-{span.start}-{span.end}.csv"
        return rx.download(data=text, filename=name, mime_type="text/csv")
