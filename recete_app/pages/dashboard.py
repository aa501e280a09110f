"""The signed-in pages. Until their issues land, each shows an honest empty state."""

from __future__ import annotations

import reflex as rx

from recete_app.pages.layout import dashboard_page, empty_state
from recete_app.state import routes
from recete_app.state.auth import AuthState


def _go(label: str, route: str) -> rx.Component:
    return rx.link(rx.button(label, variant="surface"), href=route)


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
        empty_state(
            "rocket",
            "Nothing to show yet",
            "Connect your store and a WhatsApp number to start your first journeys.",
            _go("Start onboarding", routes.ONBOARDING),
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
