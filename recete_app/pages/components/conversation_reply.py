"""The Conversations page's composer: a reply box inside the customer's 24-hour window, a picker
of the journey's approved templates outside it; both only where the backend lets a person write
(`ThreadFacts.can_reply`: a person holds the conversation, or it waits for one and the message
takes it over)."""

from __future__ import annotations

import reflex as rx

from recete_app.pages.components.conversation_parts import THREAD
from recete_app.state.conversations import ConversationsState, TemplateOption


def _template_item(option: TemplateOption) -> rx.Component:
    return rx.select.item(option.label, value=option.id)


def template_picker() -> rx.Component:
    owned = THREAD.can_reply
    return rx.vstack(
        rx.text(
            "The customer's 24-hour window is closed: WhatsApp allows only an approved "
            "template now.",
            size="2",
            color_scheme="gray",
        ),
        rx.hstack(
            rx.box(
                rx.select.root(
                    rx.select.trigger(
                        placeholder="Choose a journey template", width="100%", id="template-step"
                    ),
                    rx.select.content(rx.foreach(ConversationsState.templates, _template_item)),
                    value=ConversationsState.template_step,
                    on_change=ConversationsState.set_template_step,
                    disabled=~owned,
                    name="step_id",
                ),
                flex="1",
                min_width="0",
            ),
            rx.button(
                rx.icon("file-text", size=16),
                "Send template",
                on_click=ConversationsState.send_template,
                disabled=~owned,
                id="send-template",
            ),
            width="100%",
            id="template-picker",
        ),
        spacing="2",
        width="100%",
    )


def reply_box() -> rx.Component:
    owned = THREAD.can_reply
    return rx.form(
        rx.hstack(
            rx.text_area(
                name="text",
                placeholder=rx.cond(
                    owned, "Write your reply…", "Take over the conversation to reply yourself."
                ),
                disabled=~owned,
                rows="2",
                width="100%",
                id="reply-text",
            ),
            rx.button(
                rx.icon("send", size=16), "Send", type="submit", disabled=~owned, id="send-reply"
            ),
            align="end",
            width="100%",
        ),
        on_submit=ConversationsState.send_reply,
        width="100%",
        id="reply-form",
    )


def composer() -> rx.Component:
    return rx.cond(
        THREAD.status == "closed",
        rx.text(
            "This conversation is closed: the customer's next message opens a new one.",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(THREAD.window_open, reply_box(), template_picker()),
    )
