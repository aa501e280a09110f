"""Integrations: connect stores, see webhook URLs and events, import a CSV, manage API keys."""

from __future__ import annotations

import reflex as rx

from recete_app.pages import routes
from recete_app.pages.layout import dashboard_page
from recete_app.state.integrations import (
    UPLOAD_ID,
    EventRow,
    IntegrationCard,
    IntegrationsState,
    KeyRow,
    ProblemRow,
)

STATUS_COLORS = {"active": "green", "uninstalled": "orange", "broken": "red", "redacted": "gray"}


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4"), *children, spacing="3", width="100%"), width="100%"
    )


def _field(label: str, name: str, placeholder: str = "", kind: str = "text") -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.input(name=name, placeholder=placeholder, type=kind, width="100%"),
        spacing="1",
        width="100%",
    )


def _events_table(events: rx.Var[list[EventRow]]) -> rx.Component:
    return rx.cond(
        events.length() > 0,
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Received"),
                    rx.table.column_header_cell("Topic"),
                    rx.table.column_header_cell("Outcome"),
                    rx.table.column_header_cell("Error"),
                )
            ),
            rx.table.body(
                rx.foreach(
                    events,
                    lambda e: rx.table.row(
                        rx.table.cell(e.received_at),
                        rx.table.cell(e.topic),
                        rx.table.cell(rx.badge(e.status)),
                        rx.table.cell(e.error),
                    ),
                )
            ),
            size="1",
            width="100%",
        ),
        rx.text("No events received yet.", size="2", color_scheme="gray"),
    )


def _card(card: IntegrationCard) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.heading(card.label, size="3"),
                rx.text(card.name, color_scheme="gray"),
                rx.badge(card.status),
                align="center",
                spacing="3",
            ),
            rx.cond(
                card.webhook_url != "",
                rx.hstack(
                    rx.text("Webhook URL", size="2", weight="medium"),
                    rx.code(card.webhook_url),
                    align="center",
                ),
            ),
            rx.cond(
                card.last_error != "",
                rx.callout(card.last_error, color_scheme="red", icon="triangle-alert"),
            ),
            _events_table(card.events),
            spacing="2",
            width="100%",
        ),
        padding="12px",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="8px",
        width="100%",
        class_name="integration-card",
    )


def connected() -> rx.Component:
    return _section(
        "Connected",
        rx.cond(
            IntegrationsState.cards.length() > 0,
            rx.vstack(rx.foreach(IntegrationsState.cards, _card), width="100%"),
            rx.text(
                "No integrations connected yet. Connect a store below, import a CSV, "
                "or send orders to the API.",
                color_scheme="gray",
            ),
        ),
    )


def connect_forms() -> rx.Component:
    shopify = rx.form(
        rx.vstack(
            rx.text(
                "Shopify custom app: create it in your Shopify admin (Settings → Apps → "
                "Develop apps) with read_orders, read_customers, read_products and "
                "read_fulfillments.",
                size="2",
                color_scheme="gray",
            ),
            _field("Shop domain", "shop", "your-store.myshopify.com"),
            _field("Admin API access token", "access_token", "shpat_…", "password"),
            _field("API secret key (signs webhooks)", "api_secret", "", "password"),
            rx.button("Connect Shopify", type="submit", id="connect-shopify"),
            spacing="2",
            width="100%",
        ),
        on_submit=IntegrationsState.connect_shopify,
        reset_on_submit=True,
        width="100%",
    )
    oauth = rx.cond(
        IntegrationsState.oauth_available,
        rx.form(
            rx.hstack(
                rx.input(name="shop", placeholder="your-store.myshopify.com", width="100%"),
                rx.button("Install the Shopify app", type="submit", id="shopify-oauth"),
                width="100%",
            ),
            on_submit=IntegrationsState.start_shopify_oauth,
            width="100%",
        ),
        rx.text(
            "Shopify app install (OAuth) needs RECETE_SHOPIFY_API_KEY and "
            "RECETE_SHOPIFY_API_SECRET; a custom app works without them.",
            size="2",
            color_scheme="gray",
        ),
    )
    woo = rx.form(
        rx.vstack(
            _field("Store URL", "url", "https://shop.example.com"),
            _field("Webhook secret", "webhook_secret", "", "password"),
            _field("REST consumer key", "consumer_key", "ck_…"),
            _field("REST consumer secret", "consumer_secret", "cs_…", "password"),
            rx.button("Connect WooCommerce", type="submit", id="connect-woocommerce"),
            spacing="2",
            width="100%",
        ),
        on_submit=IntegrationsState.connect_woocommerce,
        reset_on_submit=True,
        width="100%",
    )
    return _section(
        "Connect a store", oauth, rx.grid(shopify, woo, columns="2", spacing="5", width="100%")
    )


def _problem_row(problem: ProblemRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(problem.row), rx.table.cell(problem.field), rx.table.cell(problem.problem)
    )


def csv_import() -> rx.Component:
    return _section(
        "Import orders from a CSV",
        rx.text(
            "Shopify's order export (Orders → Export → CSV for Excel or plain CSV) or the "
            "generic template (order_id, placed_at, item_title, …). Importing the same file "
            "again changes nothing.",
            size="2",
            color_scheme="gray",
        ),
        rx.upload(
            rx.vstack(
                rx.icon("file-up", size=28),
                rx.text("Drop a CSV here or click to choose"),
                align="center",
                spacing="1",
            ),
            id=UPLOAD_ID,
            accept={"text/csv": [".csv"]},
            max_files=1,
            multiple=False,
            border=f"1px dashed {rx.color('gray', 7)}",
            padding="20px",
            width="100%",
        ),
        rx.hstack(
            rx.foreach(rx.selected_files(UPLOAD_ID), rx.text),
            rx.button(
                "Import",
                id="import-csv",
                on_click=IntegrationsState.upload_orders(rx.upload_files(upload_id=UPLOAD_ID)),
            ),
            align="center",
        ),
        rx.cond(
            IntegrationsState.report_summary != "",
            rx.callout(
                IntegrationsState.report_summary,
                icon="circle-check",
                color_scheme="green",
                id="import-summary",
            ),
        ),
        rx.cond(
            IntegrationsState.problems.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Row"),
                        rx.table.column_header_cell("Field"),
                        rx.table.column_header_cell("Problem"),
                    )
                ),
                rx.table.body(rx.foreach(IntegrationsState.problems, _problem_row)),
                size="1",
                width="100%",
                id="import-problems",
            ),
        ),
    )


def _key_row(key: KeyRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(key.name),
        rx.table.cell(rx.code(key.prefix + "…")),
        rx.table.cell(rx.badge(key.state)),
        rx.table.cell(key.created_at),
        rx.table.cell(
            rx.cond(
                key.state == "active",
                rx.button(
                    "Revoke",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=IntegrationsState.revoke_key(key.id),
                ),
            )
        ),
    )


def api_access() -> rx.Component:
    return _section(
        "Generic order API",
        rx.text(
            "POST order events to /webhooks/commerce/api with an X-Api-Key header "
            "(schema in the README).",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            rx.hstack(
                rx.input(name="name", placeholder="Key name, e.g. back office"),
                rx.button("Create API key", type="submit", id="create-key"),
            ),
            on_submit=IntegrationsState.create_key,
            reset_on_submit=True,
        ),
        rx.cond(
            IntegrationsState.new_key != "",
            rx.callout(
                rx.text(
                    "Copy this key now, it is not shown again: ", rx.code(IntegrationsState.new_key)
                ),
                icon="key-round",
                color_scheme="amber",
                id="new-key",
            ),
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(h)
                        for h in ("Name", "Prefix", "State", "Created", "")
                    ]
                )
            ),
            rx.table.body(rx.foreach(IntegrationsState.keys, _key_row)),
            size="1",
            width="100%",
        ),
        rx.heading("Latest API events", size="3"),
        _events_table(IntegrationsState.api_events),
    )


@dashboard_page("Integrations", routes.INTEGRATIONS)
def integrations_page() -> rx.Component:
    return rx.vstack(
        rx.cond(
            IntegrationsState.notice != "",
            rx.callout(IntegrationsState.notice, color_scheme="green", icon="circle-check"),
        ),
        rx.cond(
            IntegrationsState.error != "",
            rx.callout(
                IntegrationsState.error,
                color_scheme="red",
                icon="triangle-alert",
                id="integrations-error",
            ),
        ),
        connected(),
        connect_forms(),
        csv_import(),
        api_access(),
        spacing="4",
        width="100%",
    )
