"""The Customers page's danger zone: erasing a customer, irreversible, so a dialog asks for their
phone number (or the word ERASE) typed exactly before its button is enabled; the state checks
the typed text again before calling the service."""

from __future__ import annotations

import reflex as rx

from recete_app.pages.components.customer_parts import CUSTOMER
from recete_app.state.customers import CustomersState


def _buttons() -> rx.Component:
    # Enabled once the typed text matches (a computed var); `erase` checks it again.
    return rx.hstack(
        rx.dialog.close(
            rx.button("Cancel", variant="soft", color_scheme="gray", id="erase-cancel")
        ),
        rx.button(
            "Erase for good",
            type="submit",
            color_scheme="red",
            disabled=~CustomersState.erase_ready,
            id="erase-confirm",
        ),
        justify="end",
        spacing="3",
        width="100%",
    )


def _erase_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(
                "Type their phone number, ",
                rx.code(CUSTOMER.phone),
                ", or the word ",
                rx.code("ERASE"),
                " to confirm.",
                size="2",
            ),
            rx.input(
                name="confirmation",
                on_change=CustomersState.set_erase_typed,
                auto_complete="off",
                width="100%",
                id="erase-confirmation",
            ),
            rx.cond(
                CustomersState.error != "",
                rx.callout(CustomersState.error, color_scheme="red", size="1", id="erase-error"),
            ),
            _buttons(),
            spacing="3",
            width="100%",
        ),
        on_submit=CustomersState.erase,
        reset_on_submit=False,
    )


def erase_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Erase ", CUSTOMER.name, "?"),
            rx.dialog.description(
                "Their profile, messages, conversations and consent log are erased and no "
                "message will be sent to them. Their orders stay in your figures, anonymous. "
                "This cannot be undone.",
                size="2",
                margin_bottom="12px",
            ),
            _erase_form(),
            id="erase-dialog",
        ),
        open=CustomersState.erase_open,
        on_open_change=CustomersState.erase_dialog_changed,
    )


def danger_zone() -> rx.Component:
    return rx.vstack(
        rx.heading("Danger zone", size="3", color_scheme="red"),
        rx.hstack(
            rx.text(
                "Erase this customer: the right to erasure (KVKK, GDPR). Irreversible.",
                size="2",
                flex="1",
            ),
            rx.button(
                rx.icon("trash-2", size=16),
                "Erase customer…",
                on_click=CustomersState.open_erase,
                color_scheme="red",
                variant="outline",
                id="customer-erase",
            ),
            align="center",
            width="100%",
        ),
        erase_dialog(),
        spacing="2",
        width="100%",
        padding="12px",
        border=f"1px solid {rx.color('red', 6)}",
        border_radius="8px",
    )
