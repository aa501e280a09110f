"""Building blocks shared by the Integrations page's sections."""

from __future__ import annotations

import reflex as rx

from recete_app.state.integrations import EventRow


def section(title: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4"), *children, spacing="3", width="100%"), width="100%"
    )


def labelled_input(
    label: str, name: str, placeholder: str = "", kind: str = "text"
) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.input(name=name, placeholder=placeholder, type=kind, width="100%"),
        spacing="1",
        width="100%",
    )


def events_table(events: rx.Var[list[EventRow]]) -> rx.Component:
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
