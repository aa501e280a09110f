"""Integrations: connect stores, see webhook URLs and events, import a CSV, manage API keys."""

from __future__ import annotations

import reflex as rx

from recete_app.pages.components.integration_data import api_access, csv_import
from recete_app.pages.components.integration_parts import events_table, labelled_input, section
from recete_app.pages.components.whatsapp_parts import test_message_form, whatsapp_connect_form
from recete_app.pages.layout import dashboard_page
from recete_app.state import routes
from recete_app.state.integrations import IntegrationCard, IntegrationsState


def _disconnect_button(card: IntegrationCard) -> rx.Component:
    """Asks first: disconnecting erases the stored secrets, which only the merchant can give
    again."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                "Disconnect",
                color_scheme="red",
                variant="soft",
                size="1",
                class_name="disconnect-integration",
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Disconnect ", card.name, "?"),
            rx.alert_dialog.description(
                "Recete forgets its keys and stops taking its webhooks. A WhatsApp number's "
                "waiting messages pause until you connect it again.",
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Disconnect",
                        color_scheme="red",
                        on_click=IntegrationsState.disconnect(card.id),
                        id="confirm-disconnect",
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
        ),
    )


def _card(card: IntegrationCard) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.heading(card.label, size="3"),
                rx.text(card.name, color_scheme="gray"),
                rx.badge(card.status),
                rx.cond(card.status != "disconnected", _disconnect_button(card)),
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
            rx.cond(card.kind == "whatsapp", test_message_form()),
            events_table(card.events),
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
    return section(
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
            labelled_input("Shop domain", "shop", "your-store.myshopify.com"),
            labelled_input("Admin API access token", "access_token", "shpat_…", "password"),
            labelled_input("API secret key (signs webhooks)", "api_secret", "", "password"),
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
            labelled_input("Store URL", "url", "https://shop.example.com"),
            labelled_input("Webhook secret", "webhook_secret", "", "password"),
            labelled_input("REST consumer key", "consumer_key", "ck_…"),
            labelled_input("REST consumer secret", "consumer_secret", "cs_…", "password"),
            rx.button("Connect WooCommerce", type="submit", id="connect-woocommerce"),
            spacing="2",
            width="100%",
        ),
        on_submit=IntegrationsState.connect_woocommerce,
        reset_on_submit=True,
        width="100%",
    )
    return section(
        "Connect a store or WhatsApp",
        oauth,
        rx.grid(shopify, woo, columns="2", spacing="5", width="100%"),
        rx.separator(size="4"),
        whatsapp_connect_form(),
    )


@dashboard_page("Integrations", routes.INTEGRATIONS)
def integrations_page() -> rx.Component:
    return rx.vstack(
        rx.cond(
            IntegrationsState.notice != "",
            rx.callout(
                IntegrationsState.notice,
                color_scheme="green",
                icon="circle-check",
                id="integrations-notice",
            ),
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
