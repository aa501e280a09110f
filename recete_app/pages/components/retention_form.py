"""Settings → Data retention: the three periods, with what each one blanks."""

from __future__ import annotations

from typing import Any

import reflex as rx

from recete_app.pages.components.integration_parts import section
from recete_app.state.retention import RetentionState


def period_input(label: str, hint: str, name: str, value: rx.Var, high: int = 3650) -> rx.Component:
    """A number of days, with its label and what it means."""
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.input(
            type="number",
            name=name,
            default_value=value.to_string(),
            min=1,
            max=high,
            key=value.to_string(),  # shows the saved value after a save
            id=name.replace("_", "-"),
        ),
        rx.text(hint, size="1", color_scheme="gray"),
        spacing="1",
        width="100%",
    )


def days_form(
    title: str, intro: str, inputs: list[rx.Component], state: Any, name: str
) -> rx.Component:
    """A settings section of numbers of days, saved together by `state.save`: its error and
    notice as `#{name}-error` / `#{name}-notice`, its button `#save-{name}`."""
    return section(
        title,
        rx.text(intro, size="2", color_scheme="gray"),
        rx.form(
            rx.vstack(
                rx.grid(*inputs, columns=str(len(inputs)), spacing="4", width="100%"),
                rx.cond(
                    state.error != "",
                    rx.callout(state.error, color_scheme="red", id=f"{name}-error"),
                ),
                rx.cond(
                    state.notice != "",
                    rx.callout(state.notice, color_scheme="green", id=f"{name}-notice"),
                ),
                rx.button(f"Save {name}", type="submit", id=f"save-{name}"),
                spacing="3",
                width="100%",
            ),
            on_submit=state.save,
            reset_on_submit=False,
            width="100%",
        ),
    )


def retention_form() -> rx.Component:
    return days_form(
        "Data retention",
        "Recete blanks personal data once it is older than this, every day. Messages and "
        "orders stay counted; only their text goes.",
        [
            period_input(
                "Message texts (days)",
                "What customers, the AI and your team wrote.",
                "retention_message_days",
                RetentionState.message_days,
            ),
            period_input(
                "Handled webhooks (days)",
                "The raw order and message data stores and WhatsApp sent.",
                "retention_webhook_days",
                RetentionState.webhook_days,
            ),
            period_input(
                "Failed webhooks (days)",
                "Data that could never be handled is then given up.",
                "retention_failed_event_days",
                RetentionState.failed_event_days,
            ),
        ],
        RetentionState,
        "retention",
    )
