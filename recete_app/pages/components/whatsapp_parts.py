"""The Integrations page's WhatsApp pieces: the Cloud API connect form and the test message."""

from __future__ import annotations

import reflex as rx

from recete_app.pages.components.integration_parts import labelled_input
from recete_app.state.integrations import IntegrationsState


def whatsapp_connect_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("WhatsApp Cloud API", size="3"),
            rx.text(
                "From your Meta app (WhatsApp → API Setup): the phone number ID and a permanent "
                "access token; the app secret (App settings → Basic) signs webhooks; the verify "
                "token is any phrase you also enter in Meta's webhook settings. Until a number "
                "is connected, messages go to the sandbox (see Simulator).",
                size="2",
                color_scheme="gray",
            ),
            rx.grid(
                labelled_input("Phone number ID", "whatsapp_phone_number_id", "106540352242922"),
                labelled_input("Access token", "whatsapp_access_token", "EAAG…", "password"),
                labelled_input("App secret", "whatsapp_app_secret", "", "password"),
                labelled_input("Verify token", "whatsapp_verify_token", "a phrase of your choice"),
                columns="2",
                spacing="3",
                width="100%",
            ),
            rx.button("Connect WhatsApp", type="submit", id="connect-whatsapp"),
            spacing="2",
            width="100%",
        ),
        on_submit=IntegrationsState.connect_whatsapp,
        reset_on_submit=True,
        width="100%",
        id="whatsapp-form",
    )


def test_message_form() -> rx.Component:
    """Meta's sample template to the merchant's own phone: proves number, token and recipient."""
    return rx.vstack(
        rx.form(
            rx.hstack(
                rx.input(
                    name="phone",
                    placeholder="Your phone, e.g. +905321234567",
                    width="280px",
                    id="test-phone",
                ),
                rx.button(
                    rx.icon("send", size=16),
                    "Send test message",
                    type="submit",
                    variant="soft",
                    id="send-test-message",
                ),
                align="center",
            ),
            on_submit=IntegrationsState.send_test_message,
            reset_on_submit=False,
        ),
        rx.cond(
            IntegrationsState.test_result != "",
            rx.text(
                IntegrationsState.test_result, size="2", color_scheme="green", id="test-result"
            ),
        ),
        rx.cond(
            IntegrationsState.test_error != "",
            rx.callout(
                IntegrationsState.test_error,
                icon="triangle-alert",
                color_scheme="red",
                size="1",
                id="test-error",
            ),
        ),
        spacing="2",
        width="100%",
    )
