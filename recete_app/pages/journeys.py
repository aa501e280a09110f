"""Settings: the store, the journey's sending rules, its steps and templates, and the plan."""

from __future__ import annotations

import reflex as rx

from recete_app.pages.components.attribution_form import attribution_form
from recete_app.pages.components.integration_parts import section
from recete_app.pages.components.journey_parts import field, step_card
from recete_app.pages.components.retention_form import retention_form
from recete_app.pages.layout import dashboard_page
from recete_app.state import routes
from recete_app.state.auth import AuthState
from recete_app.state.journeys import JourneysState, PlannedRow
from recete_app.state.sends_in_doubt import DoubtRow, SendsInDoubtState


def store_card() -> rx.Component:
    return section(
        "Store",
        rx.data_list.root(
            rx.data_list.item(
                rx.data_list.label("Store name"), rx.data_list.value(AuthState.store_name)
            ),
            rx.data_list.item(
                rx.data_list.label("Signed in as"), rx.data_list.value(AuthState.email)
            ),
        ),
        rx.text(
            "API keys are managed on the Integrations page, through the REST API "
            "(/api/api-keys) or with `recete api-key create`.",
            color_scheme="gray",
            size="2",
        ),
    )


def _number(name: str, value: rx.Var, low: int, high: int, element_id: str) -> rx.Component:
    return rx.input(
        type="number",
        name=name,
        default_value=value.to_string(),
        min=low,
        max=high,
        width="100%",
        id=element_id,
    )


def journey_form() -> rx.Component:
    form = rx.form(
        rx.vstack(
            rx.hstack(
                rx.switch(
                    name="enabled", default_checked=JourneysState.enabled, id="journey-enabled"
                ),
                rx.text("Send journey messages after delivery", size="2", weight="medium"),
                align="center",
                spacing="2",
            ),
            rx.grid(
                field(
                    "Sending starts at",
                    rx.input(
                        name="window_start",
                        default_value=JourneysState.window_start,
                        placeholder="09:00",
                        width="100%",
                        id="window-start",
                    ),
                    "HH:MM, in the customer's time zone",
                ),
                field(
                    "Sending ends at",
                    rx.input(
                        name="window_end",
                        default_value=JourneysState.window_end,
                        placeholder="20:00",
                        width="100%",
                        id="window-end",
                    ),
                    "HH:MM; nothing is sent at night",
                ),
                field(
                    "Maximum order age (days)",
                    _number(
                        "max_order_age_days",
                        JourneysState.max_order_age_days,
                        1,
                        365,
                        "max-order-age",
                    ),
                    "Older orders get no messages",
                ),
                field(
                    "Typical transit days",
                    _number("transit_days", JourneysState.transit_days, 1, 60, "transit-days"),
                    "Delivery = shipped + this, when the store never reports it",
                ),
                columns="4",
                spacing="4",
                width="100%",
            ),
            rx.button("Save", type="submit", id="save-journey"),
            spacing="3",
            width="100%",
        ),
        on_submit=JourneysState.save_journey,
        reset_on_submit=False,
        key=f"journey-{JourneysState.version}",
        width="100%",
    )
    return section(
        "Journey",
        rx.text(
            "After a delivery, each step below sends one WhatsApp template on its day, inside "
            "the sending window, at most one message a day per customer.",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(JourneysState.loaded, form, rx.spinner()),
        rx.cond(
            JourneysState.notice != "",
            rx.callout(
                JourneysState.notice, icon="circle-check", color_scheme="green", id="journey-notice"
            ),
        ),
        rx.cond(
            JourneysState.error != "",
            rx.callout(
                JourneysState.error, icon="triangle-alert", color_scheme="red", id="journey-error"
            ),
        ),
    )


def _planned_row(row: PlannedRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.customer),
        rx.table.cell(row.order),
        rx.table.cell(row.step),
        rx.table.cell(rx.text(row.due_at, white_space="nowrap")),
        rx.table.cell(rx.badge(row.status)),
        rx.table.cell(rx.text(row.note, size="1", color_scheme="gray")),
        class_name="planned-row",
    )


def _doubt_row(row: DoubtRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.customer),
        rx.table.cell(row.what),
        rx.table.cell(rx.text(row.attempted_at, white_space="nowrap")),
        rx.table.cell(rx.text(row.text, size="1")),
        rx.table.cell(
            rx.hstack(
                rx.button("Send again", size="1", on_click=SendsInDoubtState.send_again(row.id)),
                rx.button(
                    "Leave it", size="1", variant="soft", on_click=SendsInDoubtState.leave(row.id)
                ),
            )
        ),
        class_name="doubt-row",
    )


def sends_in_doubt() -> rx.Component:
    """Shown only while a send's fate is unknown: nothing is resent without a person."""
    return rx.cond(
        (SendsInDoubtState.rows.length() > 0) | (SendsInDoubtState.notice != ""),
        rx.box(
            section(
                "Sends in doubt",
                rx.text(
                    "A worker stopped while these messages may have been on their way, and "
                    "WhatsApp never reported them. Recete does not resend on its own: the "
                    "customer may already have them. Send again (they may get it twice) or "
                    "leave it. If WhatsApp reports one later, Recete records it, and does not "
                    "send again one it knows arrived.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.cond(SendsInDoubtState.notice != "", rx.callout(SendsInDoubtState.notice)),
                rx.cond(
                    SendsInDoubtState.error != "",
                    rx.callout(SendsInDoubtState.error, color_scheme="red"),
                ),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(label)
                                for label in ("Customer", "Message", "Attempted", "Text", "")
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(SendsInDoubtState.rows, _doubt_row)),
                    size="1",
                    width="100%",
                ),
            ),
            id="sends-in-doubt",
            width="100%",
        ),
    )


def planned_table() -> rx.Component:
    return section(
        "Planned messages",
        rx.hstack(
            rx.text(
                "The schedule, latest first. Times are UTC; each message goes out inside the "
                "sending window in the customer's time zone.",
                size="2",
                color_scheme="gray",
            ),
            rx.spacer(),
            rx.button(
                rx.icon("refresh-cw", size=16),
                "Refresh",
                on_click=JourneysState.refresh_planned,
                variant="soft",
                id="refresh-planned",
            ),
            align="center",
            width="100%",
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(label)
                        for label in ("Customer", "Order", "Step", "Due at", "Status", "Note")
                    ]
                )
            ),
            rx.table.body(
                rx.cond(
                    JourneysState.planned.length() > 0,
                    rx.foreach(JourneysState.planned, _planned_row),
                    rx.table.row(
                        rx.table.cell(
                            "Nothing planned yet: journeys start when an order is delivered.",
                            col_span=6,
                            color=rx.color("gray", 10),
                        )
                    ),
                )
            ),
            size="1",
            width="100%",
            id="planned-table",
        ),
    )


@dashboard_page("Settings", routes.SETTINGS)
def settings_page() -> rx.Component:
    return rx.vstack(
        store_card(),
        journey_form(),
        retention_form(),
        attribution_form(),
        rx.heading("Journey steps", size="4"),
        rx.foreach(JourneysState.steps, step_card),
        sends_in_doubt(),
        planned_table(),
        spacing="4",
        width="100%",
    )
