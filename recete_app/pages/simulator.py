"""Simulator: talk to the store as a customer on the sandbox channel, and send planned journey
steps now to see them as the customer would."""

from __future__ import annotations

import reflex as rx

from recete_app.pages.components.integration_parts import section
from recete_app.pages.layout import dashboard_page
from recete_app.state import routes
from recete_app.state.simulator import BubbleRow, PlannedStepRow, SimulatorState


def _bubble(message: BubbleRow) -> rx.Component:
    mine = message.from_customer  # the customer is "me" here: right-hand side, like a phone
    return rx.flex(
        rx.box(
            rx.text(message.text, size="2", white_space="pre-wrap"),
            rx.hstack(
                rx.text(message.at, size="1", color_scheme="gray"),
                rx.cond(
                    mine,
                    rx.fragment(),
                    rx.text(message.author, " · ", message.status, size="1", color_scheme="gray"),
                ),
                spacing="2",
                justify="end",
            ),
            background=rx.cond(mine, rx.color("grass", 4), rx.color("gray", 1)),
            border=f"1px solid {rx.color('gray', 5)}",
            padding="8px 12px",
            border_radius=rx.cond(mine, "12px 12px 2px 12px", "12px 12px 12px 2px"),
            max_width="75%",
            box_shadow="0 1px 1px rgba(0, 0, 0, 0.06)",
        ),
        justify=rx.cond(mine, "end", "start"),
        width="100%",
        class_name=rx.cond(mine, "sim-message sim-customer", "sim-message sim-store"),
    )


def _thread() -> rx.Component:
    return rx.vstack(
        rx.cond(
            SimulatorState.messages.length() > 0,
            rx.foreach(SimulatorState.messages, _bubble),
            rx.center(
                rx.text(
                    "No messages with this customer yet. Write below as the customer.",
                    size="2",
                    color_scheme="gray",
                ),
                width="100%",
                padding="48px",
            ),
        ),
        spacing="2",
        width="100%",
        min_height="320px",
        max_height="520px",
        overflow_y="auto",
        padding="16px",
        background=rx.color("sand", 3),
        border_radius="10px",
        id="sim-thread",
    )


def _composer() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="text",
                placeholder="Write as the customer, e.g. how do I use it? or STOP",
                width="100%",
                size="3",
                id="sim-text",
            ),
            rx.button(rx.icon("send", size=16), "Send", type="submit", size="3", id="sim-send"),
            width="100%",
        ),
        on_submit=SimulatorState.send,
        reset_on_submit=True,
        width="100%",
    )


def _planned(step: PlannedStepRow) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text("Order ", step.order, weight="medium", size="2"),
            rx.text("Due ", step.due_at, size="1", color_scheme="gray"),
            spacing="0",
        ),
        rx.spacer(),
        rx.button(
            rx.icon("zap", size=14),
            "Send now",
            size="1",
            variant="soft",
            on_click=SimulatorState.send_now(step.id),
            class_name="sim-send-now",
        ),
        align="center",
        width="100%",
        padding="8px",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="8px",
        class_name="sim-planned",
    )


def _phone() -> rx.Component:
    return rx.vstack(
        rx.text("Customer's phone", size="2", weight="medium"),
        rx.input(
            default_value=SimulatorState.phone,
            on_blur=SimulatorState.open_thread,
            placeholder="+905321234567",
            width="100%",
            id="sim-phone",
        ),
        rx.text(
            "Use the phone of a customer from your orders to see their journey.",
            size="1",
            color_scheme="gray",
        ),
        spacing="1",
        width="100%",
    )


def _simulator() -> rx.Component:
    chat = section(
        "Conversation",
        rx.text(
            "Messages are stored and answered as on WhatsApp, but nothing leaves Recete.",
            size="2",
            color_scheme="gray",
        ),
        _thread(),
        _composer(),
    )
    side = section(
        "Customer",
        _phone(),
        rx.heading("Planned journey steps", size="3"),
        rx.cond(
            SimulatorState.planned.length() > 0,
            rx.vstack(rx.foreach(SimulatorState.planned, _planned), width="100%"),
            rx.text("Nothing planned for this customer.", size="2", color_scheme="gray"),
        ),
    )
    return rx.grid(chat, side, grid_template_columns="2fr 1fr", spacing="4", width="100%")


@dashboard_page("Simulator", routes.SIMULATOR)
def simulator_page() -> rx.Component:
    return rx.vstack(
        rx.cond(
            SimulatorState.notice != "",
            rx.callout(
                SimulatorState.notice, icon="circle-check", color_scheme="green", id="sim-notice"
            ),
        ),
        rx.cond(
            SimulatorState.error != "",
            rx.callout(
                SimulatorState.error, icon="triangle-alert", color_scheme="red", id="sim-error"
            ),
        ),
        rx.cond(
            SimulatorState.blocked != "",
            rx.callout(SimulatorState.blocked, icon="info", color_scheme="amber", id="sim-blocked"),
            _simulator(),
        ),
        spacing="4",
        width="100%",
    )
