"""Settings → Data retention: the three periods, with what each one blanks."""

from __future__ import annotations

import reflex as rx

from recete_app.pages.components.integration_parts import section
from recete_app.state.retention import RetentionState


def _period(label: str, hint: str, name: str, value: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.input(
            type="number",
            name=name,
            default_value=value.to_string(),
            min=1,
            max=3650,
            key=value.to_string(),  # shows the saved value after a save
            id=name.replace("_", "-"),
        ),
        rx.text(hint, size="1", color_scheme="gray"),
        spacing="1",
        width="100%",
    )


def retention_form() -> rx.Component:
    return section(
        "Data retention",
        rx.text(
            "Recete blanks personal data once it is older than this, every day. Messages and "
            "orders stay counted; only their text goes.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            rx.vstack(
                rx.grid(
                    _period(
                        "Message texts (days)",
                        "What customers, the AI and your team wrote.",
                        "retention_message_days",
                        RetentionState.message_days,
                    ),
                    _period(
                        "Handled webhooks (days)",
                        "The raw order and message data stores and WhatsApp sent.",
                        "retention_webhook_days",
                        RetentionState.webhook_days,
                    ),
                    _period(
                        "Failed webhooks (days)",
                        "Data that could never be handled is then given up.",
                        "retention_failed_event_days",
                        RetentionState.failed_event_days,
                    ),
                    columns="3",
                    spacing="4",
                    width="100%",
                ),
                rx.cond(
                    RetentionState.error != "",
                    rx.callout(RetentionState.error, color_scheme="red", id="retention-error"),
                ),
                rx.cond(
                    RetentionState.notice != "",
                    rx.callout(RetentionState.notice, color_scheme="green", id="retention-notice"),
                ),
                rx.button("Save retention", type="submit", id="save-retention"),
                spacing="3",
                width="100%",
            ),
            on_submit=RetentionState.save,
            reset_on_submit=False,
            width="100%",
        ),
    )
