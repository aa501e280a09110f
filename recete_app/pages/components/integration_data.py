"""Integrations page: the CSV import and generic-API sections."""

from __future__ import annotations

import reflex as rx

from recete_app.backend.accounts.scopes import ORDERS_WRITE, SCOPES
from recete_app.pages.components.integration_parts import events_table, section
from recete_app.state.integrations import IntegrationsState, KeyRow
from recete_app.state.order_imports import UPLOAD_ID, ImportRow, OrderImportState, ProblemRow


def _problem_row(problem: ProblemRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(problem.row),
        rx.table.cell(problem.order),
        rx.table.cell(problem.field),
        rx.table.cell(problem.problem),
    )


_STATUS_COLORS = {"queued": "gray", "running": "blue", "done": "green", "failed": "red"}


def _import_row(job: ImportRow) -> rx.Component:
    return rx.hstack(
        rx.badge(
            job.status,
            color_scheme=rx.match(job.status, *_STATUS_COLORS.items(), "gray"),
        ),
        rx.text(job.filename, weight="medium", size="2"),
        rx.text(job.progress, size="2", class_name="import-progress"),
        rx.cond(job.error != "", rx.text(job.error, color_scheme="red", size="2")),
        rx.spacer(),
        rx.text(job.started, size="1", color_scheme="gray"),
        align="center",
        width="100%",
        class_name="order-import",
    )


def _upload_box() -> rx.Component:
    return rx.upload(
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
    )


def _problems_table() -> rx.Component:
    return rx.cond(
        OrderImportState.problems.length() > 0,
        rx.vstack(
            rx.text(
                "Orders not imported from ",
                OrderImportState.problems_of,
                ": fix these rows and import the file again (orders already imported "
                "stay as they are).",
                size="2",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Row"),
                        rx.table.column_header_cell("Order"),
                        rx.table.column_header_cell("Field"),
                        rx.table.column_header_cell("Problem"),
                    )
                ),
                rx.table.body(rx.foreach(OrderImportState.problems, _problem_row)),
                size="1",
                width="100%",
                id="import-problems",
            ),
            width="100%",
        ),
    )


def csv_import() -> rx.Component:
    return section(
        "Import orders from a CSV",
        rx.text(
            "Shopify's order export (Orders → Export → CSV for Excel or plain CSV) or the "
            "generic template (order_id, placed_at, item_title, …). Large files import in the "
            "background; you can leave this page. Importing the same file again changes nothing.",
            size="2",
            color_scheme="gray",
        ),
        _upload_box(),
        rx.hstack(
            rx.foreach(rx.selected_files(UPLOAD_ID), rx.text),
            rx.button(
                "Import",
                id="import-csv",
                # The upload takes the files when clicked; clearing the choice here, in the
                # browser, needs no eval (the CSP allows none), unlike clearing from the backend.
                on_click=[
                    OrderImportState.upload(rx.upload_files(upload_id=UPLOAD_ID)),
                    rx.clear_selected_files(UPLOAD_ID),
                ],
            ),
            align="center",
        ),
        rx.cond(
            OrderImportState.error != "",
            rx.callout(
                OrderImportState.error, icon="triangle-alert", color_scheme="red", id="import-error"
            ),
        ),
        rx.vstack(rx.foreach(OrderImportState.imports, _import_row), width="100%", id="imports"),
        _problems_table(),
    )


def _key_row(key: KeyRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(key.name),
        rx.table.cell(rx.code(key.prefix + "…")),
        rx.table.cell(rx.badge(key.state)),
        rx.table.cell(rx.code(key.scopes), class_name="key-scopes"),
        rx.table.cell(key.created_at),
        rx.table.cell(key.expires_at, class_name="key-expires"),
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
    return section(
        "Generic order API",
        rx.text(
            "POST order events to /webhooks/commerce/api with an X-Api-Key header "
            "(schema in the README). A key with orders:write can only do that; admin also "
            "opens the REST API (/api/...). Keys expire, and only a signed-in person can "
            "create or revoke them.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            rx.hstack(
                rx.input(name="name", placeholder="Key name, e.g. back office"),
                rx.select(list(SCOPES), name="scope", default_value=ORDERS_WRITE, id="key-scope"),
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
                        for h in ("Name", "Prefix", "State", "Scopes", "Created", "Expires", "")
                    ]
                )
            ),
            rx.table.body(rx.foreach(IntegrationsState.keys, _key_row)),
            size="1",
            width="100%",
        ),
        rx.heading("Latest API events", size="3"),
        events_table(IntegrationsState.api_events),
    )
