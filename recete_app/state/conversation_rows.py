"""The Conversations page's rows and bubbles: the inbox service's answers turned into the plain
values the page shows (labels, times in UTC, reasons in words, and the buttons the backend
allows: the page does not decide them again from the status)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

from recete_app.backend.db import session_scope
from recete_app.backend.errors import RecetError
from recete_app.backend.journeys.views import template_choices
from recete_app.backend.messaging import inbox
from recete_app.backend.models import ConversationStatus, MessageDirection

Action = inbox.InboxAction
STATUS_LABELS: dict[str, str] = {
    ConversationStatus.AI: "AI",
    ConversationStatus.NEEDS_HUMAN: "Needs a person",
    ConversationStatus.HUMAN: "With a person",
    ConversationStatus.CLOSED: "Closed",
}
AUTHOR_LABELS = {"customer": "Customer", "ai": "AI", "human": "Person", "system": "Automatic"}
REASONS = {
    "adverse_reaction": "Reported a reaction to a product",
    "complaint": "Complaint",
    "return_refund": "Wants a return or refund",
    "human": "Asked for a person",
    "no_knowledge": "The assistant did not know the answer",
    "low_confidence": "The assistant was not sure of its answer",
    "guardrail": "The assistant's draft broke a safety rule",
    "responder_failed": "The assistant could not answer",
    "repeated_dissatisfaction": "Unhappy with the assistant's answers",
    "delivered_but_not_received": "Says a delivered order never arrived",
    "no_order_found": "Asked about an order we could not find",
    "media": "Sent a photo, voice note or file",
}


@dataclasses.dataclass
class ConversationItem:
    id: str = ""
    title: str = ""
    subtitle: str = ""
    status: str = ""
    status_label: str = ""
    urgent: bool = False
    reason: str = ""
    preview: str = ""
    at: str = ""
    unanswered: int = 0


@dataclasses.dataclass
class Bubble:
    id: str = ""
    from_customer: bool = False
    author: str = ""
    author_label: str = ""
    body: str = ""
    at: str = ""
    status: str = ""
    intent: str = ""
    action: str = ""
    reason: str = ""
    sources: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class TemplateOption:
    id: str = ""
    label: str = ""


@dataclasses.dataclass
class ThreadFacts:
    """One conversation as the page shows it (empty `id`: nothing open)."""

    id: str = ""
    title: str = ""
    phone: str = ""
    status: str = ""
    status_label: str = ""
    urgent: bool = False
    reason: str = ""
    consent: str = ""
    paused: str = ""
    window_open: bool = False
    window_until: str = ""
    can_take_over: bool = False
    can_hand_back: bool = False
    can_close: bool = False
    can_reply: bool = False  # in the window a reply box, outside it a template picker
    messages: list[Bubble] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Snapshot:
    rows: list[ConversationItem]
    thread: ThreadFacts
    templates: list[TemplateOption]


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _short(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%d %b %H:%M") if value else ""


def _reason(code: str | None) -> str:
    return REASONS.get(code or "", (code or "").replace("_", " ").capitalize())


def _item(row: inbox.ConversationRow) -> ConversationItem:
    return ConversationItem(
        id=str(row.id),
        title=row.customer_name or row.phone_masked or "Unknown customer",
        subtitle=row.phone_masked if row.customer_name else "",
        status=str(row.status),
        status_label=STATUS_LABELS.get(row.status, row.status),
        urgent=row.urgent,
        reason=_reason(row.escalation_reason)
        if row.status == ConversationStatus.NEEDS_HUMAN
        else "",
        preview=row.last_message,
        at=_short(row.last_message_at),
        unanswered=row.unanswered,
    )


def _bubble(message: inbox.ThreadMessage) -> Bubble:
    sources = [
        " · ".join(str(s[k]) for k in ("product", "section") if s.get(k)) for s in message.sources
    ]
    return Bubble(
        id=str(message.id),
        from_customer=message.direction == MessageDirection.INBOUND,
        author=message.author,
        author_label=AUTHOR_LABELS.get(message.author, message.author),
        body=message.body,
        at=_when(message.created_at),
        status=message.status,
        intent=(message.intent or "").replace("_", " "),
        action=message.agent_action or "",
        reason=_reason(message.agent_reason) if message.agent_reason else "",
        sources=[s for s in sources if s],
    )


def _facts(thread: inbox.ConversationThread) -> ThreadFacts:
    c = thread.conversation
    return ThreadFacts(
        id=str(c.id),
        title=thread.customer_name or thread.phone or "Unknown customer",
        phone=thread.phone,
        status=str(c.status),
        status_label=STATUS_LABELS.get(c.status, c.status),
        urgent=c.urgent and c.status != ConversationStatus.CLOSED,
        reason=_reason(c.escalation_reason) if c.escalation_reason else "",
        consent=thread.consent_state.replace("_", " "),
        paused=thread.proactive_paused_reason or "",
        window_open=thread.window_open,
        window_until=_short(c.window_expires_at) + " UTC" if c.window_expires_at else "",
        can_take_over=Action.TAKE_OVER in thread.actions,
        can_hand_back=Action.HAND_BACK in thread.actions,
        can_close=Action.CLOSE in thread.actions,
        can_reply=Action.REPLY in thread.actions,
        messages=[_bubble(m) for m in thread.messages],
    )


def read_inbox(
    merchant_id: uuid.UUID,
    view: str,
    search: str,
    selected: str,
    viewer: uuid.UUID | None = None,
) -> Snapshot:
    """The list, the open thread (if any, and still visible to this merchant) with what
    `viewer` may do with it, the templates."""
    with session_scope(merchant_id) as session:
        rows = [_item(r) for r in inbox.list_conversations(session, view, search)]
        thread = ThreadFacts()
        selected_id = _conversation_id(selected)
        if selected_id is not None:
            try:
                thread = _facts(inbox.read_thread(session, selected_id, viewer))
            except RecetError:  # gone, or another merchant's: nothing is open
                thread = ThreadFacts()
        templates = [TemplateOption(str(t.step_id), t.label) for t in template_choices(session)]
    return Snapshot(rows, thread, templates)


def _conversation_id(selected: str) -> uuid.UUID | None:
    """The open conversation's id from the page (a URL can carry anything)."""
    try:
        return uuid.UUID(selected) if selected else None
    except ValueError:
        return None
