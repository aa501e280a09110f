"""Building blocks of the Customers page: the searchable list with its "More" paging, the
consent badge, the timeline and the consent form."""

from __future__ import annotations

import reflex as rx

from recete_app.state.customers import CustomerRow, CustomersState, TimelineEntry

CUSTOMER = CustomersState.selected
CONSENT_COLORS = {"opted_in": "green", "opted_out": "red"}
KIND_ICONS = {
    "order": "shopping-bag",
    "message_in": "message-circle",
    "message_out": "send",
    "journey": "calendar-clock",
    "consent": "shield-check",
}


def consent_badge(state: rx.Var[str], label: rx.Var[str], **props: object) -> rx.Component:
    return rx.badge(
        label,
        color_scheme=rx.match(state, *CONSENT_COLORS.items(), "gray"),
        variant="soft",
        **props,
    )


def _row(row: CustomerRow) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(row.name, weight="bold", size="2", class_name="row-name"),
            rx.spacer(),
            consent_badge(row.consent, row.consent_label, size="1", class_name="row-consent"),
            align="center",
            width="100%",
        ),
        rx.hstack(
            rx.text(row.phone, size="1", color_scheme="gray", class_name="row-phone"),
            rx.spacer(),
            rx.text(row.orders, " order(s)", size="1", color_scheme="gray"),
            width="100%",
        ),
        on_click=CustomersState.open_customer(row.id),
        cursor="pointer",
        padding="10px 12px",
        border_radius="8px",
        background=rx.cond(CUSTOMER.id == row.id, rx.color("accent", 3), "transparent"),
        _hover={"background": rx.color("accent", 2)},
        width="100%",
        class_name="customer-row",
    )


def _rows() -> rx.Component:
    return rx.cond(
        CustomersState.rows.length() > 0,
        rx.vstack(
            rx.foreach(CustomersState.rows, _row),
            spacing="1",
            width="100%",
            overflow_y="auto",
            max_height="calc(100vh - 280px)",
            id="customer-list",
        ),
        rx.text(
            rx.cond(
                CustomersState.search != "",
                "No customer matches this search.",
                "No customers yet: they arrive with your store's orders and messages.",
            ),
            size="2",
            color_scheme="gray",
            padding="24px 8px",
            id="customer-list-empty",
        ),
    )


def customer_list() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.input(
                rx.input.slot(rx.icon("search", size=14)),
                placeholder="Search by name, email, or phone number or part of one",
                default_value=CustomersState.search,
                on_change=CustomersState.set_search.debounce(300),
                width="100%",
                id="customer-search",
            ),
            _rows(),
            rx.cond(
                CustomersState.next_cursor != "",
                rx.button(
                    "More",
                    on_click=CustomersState.more,
                    variant="soft",
                    width="100%",
                    id="customer-more",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _entry(entry: TimelineEntry) -> rx.Component:
    return rx.hstack(
        rx.badge(
            rx.match(
                entry.kind,
                *[(kind, rx.icon(icon, size=14)) for kind, icon in KIND_ICONS.items()],
                rx.icon("circle", size=14),
            ),
            color_scheme=entry.tone,
            variant="soft",
            radius="full",
            padding="6px",
        ),
        rx.vstack(
            rx.hstack(
                rx.text(entry.title, weight="medium", size="2"),
                rx.spacer(),
                rx.text(entry.when, size="1", color_scheme="gray", white_space="nowrap"),
                width="100%",
            ),
            rx.cond(
                entry.detail != "",
                rx.text(entry.detail, size="2", color_scheme="gray", white_space="pre-wrap"),
            ),
            spacing="1",
            width="100%",
        ),
        align="start",
        spacing="3",
        width="100%",
        padding_y="6px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="timeline-entry timeline-" + entry.kind,
    )


def timeline() -> rx.Component:
    return rx.vstack(
        rx.heading("Timeline", size="3"),
        rx.cond(
            CustomersState.timeline.length() > 0,
            rx.vstack(
                rx.foreach(CustomersState.timeline, _entry),
                spacing="0",
                width="100%",
                max_height="420px",
                overflow_y="auto",
                id="customer-timeline",
            ),
            rx.text("Nothing has happened with this customer yet.", color_scheme="gray"),
        ),
        spacing="2",
        width="100%",
    )


def consent_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("Record consent", size="3"),
            rx.text(
                "The customer told you they want messages, or want them to stop: record it "
                "with the reason. It is logged with your account.",
                size="1",
                color_scheme="gray",
            ),
            rx.radio_group.root(
                rx.hstack(
                    rx.radio_group.item("Opted in", value="opted_in", id="consent-opted-in"),
                    rx.radio_group.item("Opted out", value="opted_out", id="consent-opted-out"),
                    spacing="4",
                ),
                name="state",
            ),
            rx.hstack(
                rx.input(
                    name="reason",
                    placeholder='Reason, e.g. "asked by phone to stop messages"',
                    max_length=500,
                    width="100%",
                    id="consent-reason",
                ),
                rx.button("Record", type="submit", variant="soft", id="consent-save"),
                width="100%",
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=CustomersState.record_consent,
        reset_on_submit=False,
        width="100%",
    )
