"""The Overview: the last 7 days of the store against the 7 before (the Analytics page's report),
and what needs the merchant now (`services/attention`)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import reflex as rx

from recete_app.backend.analytics import reports
from recete_app.backend.services.attention import Attention, what_needs_you
from recete_app.state import routes
from recete_app.state.analytics import cards_of
from recete_app.state.session import MerchantPage

WEEK_CARDS = ("sent", "read_rate", "reply_rate", "attributed_orders", "attributed_revenue")


def attention_items(found: Attention) -> list[dict[str, str]]:
    """Each thing that needs the merchant, in words, with where to act on it; most urgent first."""
    items = []
    if found.urgent:
        items.append(
            (
                "urgent",
                f"{found.urgent} urgent conversation(s) waiting for you (an adverse reaction)",
                routes.CONVERSATIONS,
                "red",
            )
        )
    if found.waiting - found.urgent:
        since = found.oldest_waiting_since
        when = f", the oldest since {since:%Y-%m-%d %H:%M} UTC" if since else ""
        items.append(
            (
                "waiting",
                f"{found.waiting - found.urgent} conversation(s) waiting for a person{when}",
                routes.CONVERSATIONS,
                "orange",
            )
        )
    if found.sends_in_doubt:
        items.append(
            (
                "in-doubt",
                f"{found.sends_in_doubt} send(s) in doubt: decide whether to send again",
                routes.SETTINGS,
                "orange",
            )
        )
    for connection in found.stopped_connections:
        items.append(
            ("connection", f"Connection stopped: {connection}", routes.INTEGRATIONS, "red")
        )
    if found.failed_webhooks:
        items.append(
            (
                "failed-webhooks",
                f"{found.failed_webhooks} store or WhatsApp event(s) could not be handled",
                routes.INTEGRATIONS,
                "orange",
            )
        )
    if found.journey_off:
        items.append(
            (
                "journey-off",
                "Journeys are paused: no messages go out after delivery",
                routes.SETTINGS,
                "gray",
            )
        )
    elif found.steps_off:
        items.append(
            ("steps-off", f"{found.steps_off} journey step(s) turned off", routes.SETTINGS, "gray")
        )
    return [{"key": k, "text": t, "href": h, "tone": c} for k, t, h, c in items]


def _week(merchant_id: uuid.UUID) -> tuple[reports.JourneyReport, Attention]:
    today = reports.store_today(merchant_id)
    span = reports.DateRange(today - timedelta(days=6), today)
    return reports.journey_report(merchant_id, span), what_needs_you(merchant_id)


class OverviewState(MerchantPage, rx.State):
    cards: list[dict[str, str]] = []
    has_sends: bool = False
    items: list[dict[str, str]] = []

    async def _reread(self, merchant_id: uuid.UUID) -> None:
        report, found = await asyncio.to_thread(_week, merchant_id)
        self.cards = cards_of(report, WEEK_CARDS)
        self.has_sends = bool(report.steps)
        self.items = attention_items(found)
