"""Customers: find a customer by name or phone, read everything that happened with them on one
timeline, export what Recete holds about them, record their consent, or erase them."""

from __future__ import annotations

import reflex as rx

from recete_app.pages.components.customer_erase import danger_zone
from recete_app.pages.components.customer_export_list import export_list
from recete_app.pages.components.customer_parts import (
    CUSTOMER,
    consent_badge,
    consent_form,
    customer_list,
    timeline,
)
from recete_app.pages.layout import dashboard_page
from recete_app.state import routes
from recete_app.state.customers import CustomersState


def _field(label: str, value: rx.Var[str], id_: str) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label),
        rx.data_list.value(rx.cond(value != "", value, "—"), id=id_),
    )


def _profile() -> rx.Component:
    return rx.data_list.root(
        _field("Phone", CUSTOMER.phone, "customer-phone"),
        _field("Email", CUSTOMER.email, "customer-email"),
        _field("Language", CUSTOMER.language, "customer-language"),
        _field("Source", CUSTOMER.source, "customer-source"),
        rx.data_list.item(
            rx.data_list.label("Consent"),
            rx.data_list.value(
                rx.hstack(
                    consent_badge(CUSTOMER.consent, CUSTOMER.consent_label, id="customer-consent"),
                    rx.cond(
                        CUSTOMER.consent_since != "",
                        rx.text("since ", CUSTOMER.consent_since, size="1", color_scheme="gray"),
                    ),
                    align="center",
                    spacing="2",
                )
            ),
        ),
        size="2",
        id="customer-profile",
    )


def _header() -> rx.Component:
    return rx.hstack(
        rx.heading(CUSTOMER.name, size="5", id="customer-name"),
        rx.spacer(),
        rx.button(
            rx.icon("download", size=16),
            "Export (JSON)",
            on_click=CustomersState.export,
            variant="soft",
            id="customer-export",
        ),
        rx.button(
            "Close",
            on_click=CustomersState.close_customer,
            variant="ghost",
            color_scheme="gray",
            id="customer-close",
        ),
        align="center",
        spacing="2",
        width="100%",
    )


def _customer() -> rx.Component:
    return rx.card(
        rx.cond(
            CUSTOMER.id != "",
            rx.vstack(
                _header(),
                _profile(),
                export_list(),
                timeline(),
                consent_form(),
                danger_zone(),
                spacing="4",
                width="100%",
            ),
            rx.center(
                rx.vstack(
                    rx.icon("users", size=36, color=rx.color("gray", 8)),
                    rx.text("Choose a customer to see their timeline.", color_scheme="gray"),
                    align="center",
                    spacing="2",
                ),
                min_height="360px",
                width="100%",
            ),
        ),
        width="100%",
        id="customer-panel",
    )


def _messages() -> rx.Component:
    return rx.fragment(
        rx.cond(
            CustomersState.notice != "",
            rx.callout(
                CustomersState.notice, icon="check", color_scheme="green", id="customer-notice"
            ),
        ),
        rx.cond(
            CustomersState.error != "",
            rx.callout(
                CustomersState.error,
                icon="triangle-alert",
                color_scheme="red",
                id="customer-error",
            ),
        ),
    )


@dashboard_page("Customers", routes.CUSTOMERS)
def customers_page() -> rx.Component:
    return rx.vstack(
        _messages(),
        rx.grid(
            customer_list(),
            _customer(),
            grid_template_columns="minmax(300px, 360px) minmax(0, 1fr)",
            gap="16px",
            align_items="start",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )
