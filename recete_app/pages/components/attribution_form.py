"""Settings → Attribution: the read and click windows an order is attributed within."""

from __future__ import annotations

import reflex as rx

from recete_app.pages.components.retention_form import days_form, period_input
from recete_app.state.attribution import AttributionState


def attribution_form() -> rx.Component:
    return days_form(
        "Attribution",
        "An order counts as brought by a journey message when the customer places it within "
        "these windows after reading the message or clicking its link (the last one touched "
        "wins). Analytics states the windows it used.",
        [
            period_input(
                "After a read (days)",
                "WhatsApp reports when the customer opened the message.",
                "attribution_read_days",
                AttributionState.read_days,
                high=30,
            ),
            period_input(
                "After a click (days)",
                "A person opening the message's link (not a link preview).",
                "attribution_click_days",
                AttributionState.click_days,
                high=30,
            ),
        ],
        AttributionState,
        "attribution",
    )
