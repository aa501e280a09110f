"""The open customer's prepared exports: a customer with a long history is exported by a
worker, and the document waits here, ready to download, for 7 days."""

from __future__ import annotations

import reflex as rx

from recete_app.state.customers import CustomersState, ExportRow

STATUS_COLORS = {"done": "green", "failed": "red"}


def _export(row: ExportRow) -> rx.Component:
    return rx.hstack(
        rx.badge(
            row.label,
            color_scheme=rx.match(row.status, *STATUS_COLORS.items(), "amber"),
            variant="soft",
            class_name="export-status",
        ),
        rx.vstack(
            rx.text("Asked for ", row.requested, size="2"),
            rx.text(row.detail, size="1", color_scheme="gray", class_name="export-detail"),
            spacing="0",
        ),
        rx.spacer(),
        rx.cond(
            row.status == "done",
            rx.button(
                rx.icon("download", size=14),
                "Download",
                on_click=CustomersState.download_export(row.id),
                size="1",
                variant="soft",
                class_name="export-download",
            ),
            rx.cond(row.status != "failed", rx.spinner(size="1")),
        ),
        align="center",
        spacing="3",
        width="100%",
        class_name="customer-export-row",
    )


def export_list() -> rx.Component:
    """Shown only once the customer has a prepared export."""
    return rx.cond(
        CustomersState.exports.length() > 0,
        rx.vstack(
            rx.heading("Exports", size="3"),
            rx.foreach(CustomersState.exports, _export),
            spacing="2",
            width="100%",
            id="customer-exports",
        ),
    )
