"""Building blocks of the Conversations page: the inbox list with its filters, the status and
urgency badges, and the thread's bubbles with what the agent decided."""

from __future__ import annotations

import reflex as rx

from recete_app.state.conversations import Bubble, ConversationItem, ConversationsState

FILTERS = (
    ("all", "All"),
    ("needs_human", "Needs a person"),
    ("human", "With a person"),
    ("ai", "AI"),
    ("closed", "Closed"),
)
STATUS_COLORS = {"ai": "teal", "needs_human": "amber", "human": "blue", "closed": "gray"}
THREAD = ConversationsState.thread


def status_badge(status: rx.Var[str], label: rx.Var[str], **props: object) -> rx.Component:
    return rx.badge(
        label,
        color_scheme=rx.match(status, *STATUS_COLORS.items(), "gray"),
        variant="soft",
        **props,
    )


def urgent_badge() -> rx.Component:
    return rx.badge(
        rx.icon("siren", size=12),
        "Urgent",
        color_scheme="red",
        variant="solid",
        class_name="urgent-badge",
    )


def _filter(value: str, label: str) -> rx.Component:
    active = ConversationsState.view == value
    return rx.button(
        label,
        on_click=ConversationsState.set_view(value),
        size="1",
        variant=rx.cond(active, "solid", "soft"),
        color_scheme=rx.cond(active, "teal", "gray"),
        radius="full",
        id=f"view-{value}",
    )


def filters() -> rx.Component:
    return rx.vstack(
        rx.flex(
            *[_filter(value, label) for value, label in FILTERS],
            wrap="wrap",
            gap="4px",
            id="conversation-filters",
        ),
        rx.input(
            rx.input.slot(rx.icon("search", size=14)),
            placeholder="Search by name or phone number, or part of one",
            default_value=ConversationsState.search,
            on_change=ConversationsState.set_search.debounce(300),
            width="100%",
            id="conversation-search",
        ),
        spacing="3",
        width="100%",
    )


def _row_summary(row: ConversationItem) -> rx.Component:
    """Status, why a person is needed, and how many customer messages wait."""
    return rx.hstack(
        status_badge(row.status, row.status_label, size="1"),
        rx.text(
            row.reason,
            size="1",
            color_scheme="amber",
            white_space="nowrap",
            overflow="hidden",
            text_overflow="ellipsis",
            flex="1",
            min_width="0",
        ),
        rx.cond(
            row.unanswered > 0,
            rx.badge(
                row.unanswered,
                color_scheme="red",
                radius="full",
                variant="soft",
                title="Customer messages waiting for an answer",
                class_name="unanswered",
            ),
        ),
        align="center",
        spacing="2",
        width="100%",
        margin_top="6px",
    )


def _row(row: ConversationItem) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(row.title, weight="bold", size="2", trim="both", class_name="row-title"),
            rx.cond(row.urgent, urgent_badge()),
            rx.spacer(),
            rx.text(row.at, size="1", color_scheme="gray", white_space="nowrap"),
            align="center",
            spacing="2",
            width="100%",
        ),
        rx.cond(row.subtitle != "", rx.text(row.subtitle, size="1", color_scheme="gray")),
        rx.text(
            row.preview,
            size="1",
            color_scheme="gray",
            white_space="nowrap",
            overflow="hidden",
            text_overflow="ellipsis",
            margin_top="4px",
        ),
        _row_summary(row),
        on_click=ConversationsState.open_conversation(row.id),
        cursor="pointer",
        padding="10px 12px",
        border_radius="8px",
        border_left=rx.cond(row.urgent, f"3px solid {rx.color('red', 9)}", "3px solid transparent"),
        background=rx.cond(THREAD.id == row.id, rx.color("accent", 3), "transparent"),
        _hover={"background": rx.color("accent", 2)},
        width="100%",
        class_name=rx.cond(row.urgent, "conversation-row urgent", "conversation-row"),
    )


def conversation_list() -> rx.Component:
    return rx.card(
        rx.vstack(
            filters(),
            rx.cond(
                ConversationsState.rows.length() > 0,
                rx.vstack(
                    rx.foreach(ConversationsState.rows, _row),
                    spacing="1",
                    width="100%",
                    overflow_y="auto",
                    max_height="calc(100vh - 260px)",
                    id="conversation-list",
                ),
                rx.center(
                    rx.text(
                        "No conversations here yet. Customers' WhatsApp messages (and the "
                        "Simulator's) show up as they arrive.",
                        size="2",
                        color_scheme="gray",
                        text_align="center",
                    ),
                    padding="32px 12px",
                    id="conversation-list-empty",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _chip(text: rx.Var[str], color: str) -> rx.Component:
    return rx.badge(text, color_scheme=color, variant="surface", size="1", radius="full")


def _agent_notes(message: Bubble) -> rx.Component:
    """On the AI's messages: what it took the question for and the knowledge it used. On the
    customer's: why it was escalated."""
    return rx.cond(
        message.author == "ai",
        rx.cond(
            (message.intent != "") | (message.sources.length() > 0),
            rx.flex(
                rx.cond(message.intent != "", _chip(message.intent, "violet")),
                rx.foreach(message.sources, lambda s: _chip(s, "teal")),
                wrap="wrap",
                gap="4px",
                class_name="agent-notes",
            ),
        ),
        rx.cond(
            message.action == "escalate",
            rx.flex(
                _chip("Escalated: " + message.reason, "orange"),
                class_name="agent-notes",
            ),
        ),
    )


def bubble(message: Bubble) -> rx.Component:
    customer = message.from_customer
    return rx.flex(
        rx.box(
            rx.text(message.body, size="2", white_space="pre-wrap"),
            _agent_notes(message),
            rx.hstack(
                rx.text(message.author_label, weight="medium", size="1"),
                rx.text(message.at, size="1", color_scheme="gray"),
                rx.cond(
                    customer, rx.fragment(), rx.text(message.status, size="1", color_scheme="gray")
                ),
                spacing="2",
                justify="end",
            ),
            background=rx.match(
                message.author,
                ("customer", rx.color("gray", 1)),
                ("ai", rx.color("teal", 3)),
                ("human", rx.color("blue", 3)),
                rx.color("gray", 3),
            ),
            border=f"1px solid {rx.color('gray', 5)}",
            padding="8px 12px",
            border_radius=rx.cond(customer, "12px 12px 12px 2px", "12px 12px 2px 12px"),
            max_width="75%",
            display="flex",
            flex_direction="column",
            gap="6px",
        ),
        justify=rx.cond(customer, "start", "end"),
        width="100%",
        class_name="bubble bubble-" + message.author,
    )
