"""Analytics: the journeys' cards (with their formulas), the funnel per step, the daily series
and the failures, for a range of the store's days; every table downloads as CSV."""

from __future__ import annotations

from typing import Any

import reflex as rx

from recete_app.pages.layout import dashboard_page, empty_state
from recete_app.state import routes
from recete_app.state.analytics import AnalyticsState

STEP_HEADERS = (
    ("step", "Step"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("read", "Read"),
    ("replied", "Replied"),
    ("clicked", "Clicked"),
    ("failed", "Failed"),
    ("opted_out", "Opted out"),
    ("orders", "Orders"),
    ("revenue", "Revenue"),
    ("cost", "Est. cost"),
)


def _range_bar() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.segmented_control.root(
                rx.segmented_control.item("7 days", value="7"),
                rx.segmented_control.item("30 days", value="30"),
                rx.segmented_control.item("90 days", value="90"),
                value=AnalyticsState.preset,
                on_change=AnalyticsState.choose,
                id="range-preset",
            ),
            rx.form(
                rx.hstack(
                    rx.input(
                        type="date",
                        name="from",
                        default_value=AnalyticsState.start,
                        key=AnalyticsState.start,
                        aria_label="From",
                    ),
                    rx.input(
                        type="date",
                        name="to",
                        default_value=AnalyticsState.end,
                        key=AnalyticsState.end,
                        aria_label="To",
                    ),
                    rx.button("Show", type="submit", variant="surface"),
                    align="center",
                ),
                on_submit=AnalyticsState.custom,
                id="custom-range",
            ),
            wrap="wrap",
            spacing="4",
            align="center",
        ),
        rx.text(
            AnalyticsState.start,
            " – ",
            AnalyticsState.end,
            " in ",
            AnalyticsState.timezone,
            " (the store's days), ",
            AnalyticsState.compared,
            size="2",
            color_scheme="gray",
            id="range-text",
        ),
        spacing="2",
        width="100%",
    )


def figure_card(card: Any) -> rx.Component:  # a dict-valued Var from foreach
    """A figure, its previous period and how it is computed."""
    return rx.card(
        rx.vstack(
            rx.text(card["label"], size="2", color_scheme="gray"),
            rx.heading(card["value"], size="6", class_name="card-value"),
            rx.text(card["previous"], size="1", color_scheme="gray"),
            rx.text(
                "How: ", card["formula"], size="1", color_scheme="gray", class_name="card-formula"
            ),
            spacing="1",
        ),
        id="card-" + card["key"].to(str),
        min_width="200px",
        flex="1",
    )


def _csv_button(table: str) -> rx.Component:
    return rx.button(
        rx.icon("download", size=14),
        "CSV",
        size="1",
        variant="soft",
        on_click=AnalyticsState.download(table),
        id=f"csv-{table}",
    )


def _steps_table() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Per journey step", size="3"),
            rx.spacer(),
            _csv_button("journeys"),
            width="100%",
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(*[rx.table.column_header_cell(label) for _k, label in STEP_HEADERS])
            ),
            rx.table.body(
                rx.foreach(
                    AnalyticsState.steps,
                    lambda row: rx.table.row(
                        *[rx.table.cell(row[key]) for key, _label in STEP_HEADERS]
                    ),
                )
            ),
            id="steps-table",
            width="100%",
        ),
        rx.text(
            "Rates use delivered as the denominator; delivered ÷ sent is the delivered rate.",
            size="1",
            color_scheme="gray",
        ),
        width="100%",
    )


def _chart() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Day by day", size="3"), rx.spacer(), _csv_button("daily"), width="100%"
        ),
        rx.recharts.line_chart(
            *[
                rx.recharts.line(
                    data_key=key,
                    name=label,
                    stroke=rx.color(color, 9),
                    stroke_width=2,
                    type_="linear",
                    is_animation_active=False,
                )
                for key, label, color in (
                    ("sent", "Sent", "blue"),
                    ("read", "Read", "green"),
                    ("replied", "Replied", "orange"),
                    ("orders", "Orders", "purple"),
                )
            ],
            rx.recharts.x_axis(data_key="day"),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
            rx.recharts.legend(),
            rx.recharts.graphing_tooltip(),
            data=AnalyticsState.series,
            width="100%",
            height=280,
        ),
        width="100%",
        id="daily-chart",
    )


def _failures() -> rx.Component:
    return rx.cond(
        AnalyticsState.failures.length() > 0,
        rx.vstack(
            rx.heading("Failed sends by Meta error code", size="3"),
            rx.foreach(
                AnalyticsState.failures,
                lambda f: rx.text(rx.code(f["code"]), " ", f["title"], ": ", f["count"], size="2"),
            ),
            id="failures",
        ),
    )


def _agent_panel() -> rx.Component:
    return rx.vstack(
        rx.heading("The agent", size="3"),
        rx.flex(rx.foreach(AnalyticsState.agent, figure_card), wrap="wrap", gap="3", width="100%"),
        rx.hstack(
            rx.vstack(
                rx.text("Escalations by reason", weight="medium", size="2"),
                rx.foreach(AnalyticsState.reasons, lambda r: rx.text(r, size="2")),
                rx.cond(AnalyticsState.reasons.length() == 0, rx.text("None.", size="2")),
                id="escalation-reasons",
            ),
            rx.vstack(
                rx.text("Adverse reactions", weight="medium", size="2"),
                rx.foreach(AnalyticsState.adverse, lambda a: rx.text(a, size="2")),
                rx.cond(AnalyticsState.adverse.length() == 0, rx.text("None.", size="2")),
                id="adverse-reactions",
            ),
            spacing="9",
            align="start",
        ),
        width="100%",
        id="agent-panel",
    )


@dashboard_page("Analytics", routes.ANALYTICS)
def analytics_page() -> rx.Component:
    return rx.vstack(
        _range_bar(),
        rx.cond(
            AnalyticsState.error != "",
            rx.callout(
                AnalyticsState.error,
                icon="triangle-alert",
                color_scheme="red",
                id="analytics-error",
            ),
        ),
        rx.cond(
            AnalyticsState.has_sends,
            rx.vstack(
                rx.flex(
                    rx.foreach(AnalyticsState.cards, figure_card),
                    wrap="wrap",
                    gap="3",
                    width="100%",
                ),
                _steps_table(),
                _chart(),
                _failures(),
                spacing="5",
                width="100%",
            ),
            empty_state(
                "chart-column",
                "No journey messages in this range",
                "Messages sent, reads, replies, clicks and attributed orders show here once "
                "journeys are running. Try a longer range.",
            ),
        ),
        _agent_panel(),
        rx.text(AnalyticsState.footnote, size="1", color_scheme="gray", id="footnote"),
        spacing="5",
        width="100%",
    )
