"""The Overview (the last 7 days, what needs the merchant now) and the Onboarding page."""

from __future__ import annotations

import reflex as rx

from recete_app.pages.analytics import figure_card
from recete_app.pages.layout import dashboard_page, empty_state
from recete_app.state import routes
from recete_app.state.auth import AuthState
from recete_app.state.overview import OverviewState


def _go(label: str, route: str) -> rx.Component:
    return rx.link(rx.button(label, variant="surface"), href=route)


def _needs_you() -> rx.Component:
    return rx.vstack(
        rx.heading("Needs you now", size="3"),
        rx.cond(
            OverviewState.items.length() > 0,
            rx.vstack(
                rx.foreach(
                    OverviewState.items,
                    lambda item: rx.link(
                        rx.callout(
                            item["text"],
                            icon="circle-alert",
                            color_scheme=item["tone"],
                            width="100%",
                        ),
                        href=item["href"],
                        id="needs-" + item["key"].to(str),
                        width="100%",
                        underline="none",
                    ),
                ),
                width="100%",
                spacing="2",
                id="needs-you",
            ),
            rx.text("Nothing needs you right now.", color_scheme="gray", id="needs-nothing"),
        ),
        width="100%",
        spacing="2",
    )


@dashboard_page("Overview", routes.HOME)
def overview() -> rx.Component:
    return rx.vstack(
        rx.heading(
            rx.text.span("Welcome, "), rx.text.span(AuthState.store_name), size="4", id="welcome"
        ),
        rx.text(
            "Recete messages your customers after delivery, answers their questions from "
            "your product knowledge, and hands hard cases to you.",
            color_scheme="gray",
        ),
        _needs_you(),
        rx.cond(
            OverviewState.has_sends,
            rx.vstack(
                rx.hstack(
                    rx.heading("Last 7 days", size="3"),
                    rx.text("against the 7 days before", size="2", color_scheme="gray"),
                    rx.spacer(),
                    _go("All analytics", routes.ANALYTICS),
                    align="center",
                    width="100%",
                ),
                rx.flex(rx.foreach(OverviewState.cards, figure_card), wrap="wrap", gap="3"),
                width="100%",
                id="last-week",
            ),
            empty_state(
                "rocket",
                "No journey messages in the last 7 days",
                "Connect your store and a WhatsApp number to start your first journeys.",
                _go("Start onboarding", routes.ONBOARDING),
            ),
        ),
        spacing="4",
        width="100%",
    )


@dashboard_page("Onboarding", routes.ONBOARDING)
def onboarding() -> rx.Component:
    steps = [
        ("Connect your store", "Shopify, WooCommerce, CSV or API.", routes.INTEGRATIONS),
        ("Connect WhatsApp", "Or keep using the sandbox simulator.", routes.INTEGRATIONS),
        ("Learn your products", "Import the catalogue or paste product URLs.", routes.PRODUCTS),
        ("Review your journeys", "Day 3: how to use it. Day 14: how is it going.", routes.SETTINGS),
    ]
    return rx.vstack(
        *[
            rx.card(
                rx.hstack(
                    rx.badge(str(number), size="2", radius="full"),
                    rx.vstack(
                        rx.text(title, weight="bold"),
                        rx.text(text, color_scheme="gray", size="2"),
                        spacing="0",
                    ),
                    rx.spacer(),
                    _go("Open", route),
                    align="center",
                    width="100%",
                ),
                width="100%",
            )
            for number, (title, text, route) in enumerate(steps, start=1)
        ],
        width="100%",
        max_width="720px",
        spacing="3",
    )
