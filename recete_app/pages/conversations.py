"""Conversations: the inbox. Conversations needing a person come first (urgent ones marked in
red), the thread shows what the AI said and why, and a person takes over, replies, hands back
to the AI or closes. The page follows new messages by itself."""

from __future__ import annotations

import reflex as rx

from recete_app.pages.components.conversation_parts import (
    THREAD,
    bubble,
    conversation_list,
    status_badge,
    urgent_badge,
)
from recete_app.pages.components.conversation_reply import composer
from recete_app.pages.layout import dashboard_page, empty_state
from recete_app.state import routes
from recete_app.state.conversations import ConversationsState


def _actions() -> rx.Component:
    """The buttons the backend allows for this conversation (ThreadFacts.can_*)."""
    return rx.hstack(
        rx.cond(
            THREAD.can_take_over,
            rx.button(
                rx.icon("hand", size=16),
                "Take over",
                on_click=ConversationsState.take_over,
                id="take-over",
            ),
        ),
        rx.cond(
            THREAD.can_hand_back,
            rx.button(
                rx.icon("bot", size=16),
                "Hand back to AI",
                on_click=ConversationsState.hand_back,
                variant="soft",
                id="hand-back",
            ),
        ),
        rx.cond(
            THREAD.can_close,
            rx.button(
                rx.icon("archive", size=16),
                "Close",
                on_click=ConversationsState.close_conversation,
                variant="outline",
                color_scheme="gray",
                id="close-conversation",
            ),
        ),
        spacing="2",
        wrap="wrap",
        justify="end",
    )


def _header() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(THREAD.title, size="4", id="thread-title"),
            rx.cond(THREAD.urgent, urgent_badge()),
            rx.spacer(),
            _actions(),
            align="center",
            spacing="2",
            width="100%",
        ),
        rx.hstack(
            status_badge(THREAD.status, THREAD.status_label, id="thread-status"),
            rx.text(
                THREAD.phone,
                " · consent: ",
                THREAD.consent,
                rx.cond(
                    THREAD.window_open,
                    rx.text.span(" · window open until ", THREAD.window_until),
                    rx.text.span(" · 24-hour window closed"),
                ),
                size="1",
                color_scheme="gray",
                id="thread-customer",
            ),
            align="center",
            spacing="2",
        ),
        spacing="2",
        width="100%",
    )


def _paused_banner() -> rx.Component:
    return rx.hstack(
        rx.icon("circle-pause", size=16, color=rx.color("gray", 11)),
        rx.text(THREAD.paused, size="1", color_scheme="gray", flex="1"),
        rx.button(
            rx.icon("play", size=14),
            "Resume journey messages",
            on_click=ConversationsState.resume_journeys,
            size="1",
            variant="soft",
            color_scheme="green",
            id="resume-journeys",
        ),
        align="center",
        spacing="2",
        width="100%",
        padding="6px 10px",
        background=rx.color("gray", 3),
        border_radius="8px",
        id="paused-banner",
    )


def _banners() -> rx.Component:
    return rx.fragment(
        rx.cond(
            THREAD.status == "needs_human",
            rx.callout(
                "Needs a person: " + THREAD.reason + ". The AI stays silent until handed back.",
                icon="siren",
                color_scheme=rx.cond(THREAD.urgent, "red", "amber"),
                size="1",
                id="escalation-banner",
            ),
        ),
        rx.cond(
            THREAD.status == "human",
            rx.callout(
                "A person owns this conversation: the AI stays silent until it is handed back.",
                icon="user-round",
                color_scheme="blue",
                size="1",
                id="owned-banner",
            ),
        ),
        rx.cond(THREAD.paused != "", _paused_banner()),
    )


def _messages() -> rx.Component:
    # column-reverse keeps the newest message in view as the thread grows.
    return rx.box(
        rx.vstack(rx.foreach(THREAD.messages, bubble), spacing="3", width="100%"),
        display="flex",
        flex_direction="column-reverse",
        overflow_y="auto",
        min_height="240px",
        max_height="calc(100vh - 460px)",
        padding="16px",
        background=rx.color("sand", 3),
        border_radius="10px",
        width="100%",
        id="thread",
    )


def _thread() -> rx.Component:
    return rx.card(
        rx.cond(
            THREAD.id != "",
            rx.vstack(
                _header(),
                _banners(),
                _messages(),
                _messages_bar(),
                composer(),
                spacing="3",
                width="100%",
            ),
            rx.center(
                rx.vstack(
                    rx.icon("messages-square", size=36, color=rx.color("gray", 8)),
                    rx.text("Choose a conversation to read it.", color_scheme="gray"),
                    align="center",
                    spacing="2",
                ),
                min_height="360px",
                width="100%",
            ),
        ),
        width="100%",
        id="thread-panel",
    )


def _messages_bar() -> rx.Component:
    return rx.fragment(
        rx.cond(
            ConversationsState.notice != "",
            rx.hstack(
                rx.icon("circle-check", size=14, color=rx.color("green", 10)),
                rx.text(ConversationsState.notice, size="1", color_scheme="green"),
                align="center",
                spacing="1",
                id="conversation-notice",
            ),
        ),
        rx.cond(
            ConversationsState.error != "",
            rx.callout(
                ConversationsState.error,
                icon="triangle-alert",
                color_scheme="red",
                size="1",
                width="100%",
                id="conversation-error",
            ),
        ),
    )


def _no_conversations() -> rx.Component:
    return empty_state(
        "messages-square",
        "No conversations yet — connect your store",
        "Customers' WhatsApp conversations appear here once your store and WhatsApp number are "
        "connected. Until then, write as a customer in the Simulator.",
        rx.hstack(
            rx.link(rx.button("Connect a store", variant="surface"), href=routes.INTEGRATIONS),
            rx.link(rx.button("Open the Simulator", variant="soft"), href=routes.SIMULATOR),
            spacing="2",
        ),
    )


@dashboard_page("Conversations", routes.CONVERSATIONS)
def conversations_page() -> rx.Component:
    return rx.cond(
        ConversationsState.empty_inbox,
        _no_conversations(),
        rx.grid(
            conversation_list(),
            _thread(),
            grid_template_columns="minmax(320px, 380px) minmax(0, 1fr)",
            gap="16px",
            align_items="start",
            width="100%",
        ),
    )
