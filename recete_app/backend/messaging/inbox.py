"""The merchant's inbox: conversations with customers, the ones needing a person first, and one
conversation's thread with what the agent decided on each message and the actions its status
allows (`inbox_rules`). The actions a person takes (take over, reply, hand back, close, ...)
live in `inbox_actions` and are re-exported here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import phonenumbers
import sqlalchemy as sa
from sqlmodel import Session, col, select

from recete_app.backend.errors import InvalidInput, NotFound
from recete_app.backend.messaging.conversations import window_open
from recete_app.backend.messaging.inbox_actions import (
    Queued,
    close,
    hand_back,
    reply_as_person,
    resume_proactive,
    send_template_as_person,
    take_over,
)
from recete_app.backend.messaging.inbox_rules import PERSON_OWNED, InboxAction, allowed_actions
from recete_app.backend.messaging.inbox_search import search_filter
from recete_app.backend.models import (
    Conversation,
    ConversationStatus,
    Customer,
    Message,
    MessageDirection,
)
from recete_app.backend.security.crypto import decrypt_field
from recete_app.backend.security.fields import PHONE

__all__ = [
    "VIEWS",
    "ConversationRow",
    "ConversationThread",
    "InboxAction",
    "Queued",
    "ThreadMessage",
    "close",
    "hand_back",
    "list_conversations",
    "mask_phone",
    "read_thread",
    "reply_as_person",
    "resume_proactive",
    "send_template_as_person",
    "take_over",
]

VIEWS: tuple[str, ...] = (
    "all",
    ConversationStatus.NEEDS_HUMAN,
    ConversationStatus.AI,
    ConversationStatus.HUMAN,
    ConversationStatus.CLOSED,
)
PREVIEW_CHARS = 120
MAX_LIMIT = 200


@dataclass(frozen=True)
class ConversationRow:
    id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str  # "" when the store does not know it
    phone_masked: str  # "+90 532 *** 45 67"
    status: str  # ConversationStatus
    urgent: bool
    escalation_reason: str | None
    last_message: str
    last_message_at: datetime | None
    unanswered: int  # customer messages since the owner's (AI or person) last reply


@dataclass(frozen=True)
class ThreadMessage:
    id: uuid.UUID
    direction: str  # MessageDirection
    author: str  # customer | ai | human | system
    body: str
    status: str
    kind: str
    intent: str | None
    sources: list[dict[str, Any]]
    agent_action: str | None  # answer | escalate | decline | silent (the agent's decision)
    agent_reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class ConversationThread:
    conversation: Conversation
    customer_id: uuid.UUID
    customer_name: str
    phone: str  # E.164, in full: the person may need to call
    consent_state: str
    proactive_paused_reason: str | None
    window_open: bool
    # What a person may do with it now (inbox_rules): pages offer these, and only these.
    actions: tuple[InboxAction, ...] = ()
    messages: list[ThreadMessage] = field(default_factory=list)


def mask_phone(e164: str) -> str:
    """'+905321234567' -> '+90 532 *** 45 67': enough to recognise, not to dial."""
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return "***"
    shown = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    country = len(str(parsed.country_code))
    national = sum(c.isdigit() for c in shown) - country
    head = min(3, national // 3)
    tail = min(4, national - head - 2)
    out, position = [], -country  # the country code's digits come first, always shown
    for char in shown:
        if char.isdigit():
            out.append("*" if head <= position < national - tail else char)
            position += 1
        else:
            out.append(char)
    return "".join(out)


def _phone(customer_phone: str | None) -> str:
    return decrypt_field(customer_phone, PHONE) if customer_phone else ""


def _name(first: str, last: str) -> str:
    return f"{first} {last}".strip()


def _unanswered() -> sa.ScalarSelect[Any]:
    """Customer messages after the owner's last reply (a person's, while a person is needed)."""
    table = Message.__table__  # type: ignore[attr-defined]
    answer, waiting = table.alias("answer"), table.alias("waiting")
    conversation = Conversation.__table__.c  # type: ignore[attr-defined]
    answered_at = (
        sa.select(sa.func.max(answer.c.created_at))
        .where(
            answer.c.conversation_id == conversation.id,
            answer.c.direction == MessageDirection.OUTBOUND,
            sa.or_(
                answer.c.author == "human",
                # While a person is needed, only a person's message answers the customer.
                sa.and_(answer.c.author == "ai", conversation.status.not_in(PERSON_OWNED)),
            ),
        )
        .correlate(Conversation.__table__)  # type: ignore[attr-defined]
        .scalar_subquery()
    )
    return (
        sa.select(sa.func.count())
        .where(
            waiting.c.conversation_id == conversation.id,
            waiting.c.direction == MessageDirection.INBOUND,
            sa.or_(answered_at.is_(None), waiting.c.created_at > answered_at),
        )
        .scalar_subquery()
    )


def list_conversations(
    session: Session, view: str = "all", search: str = "", limit: int = 50
) -> list[ConversationRow]:
    """Urgent first, then those waiting for a person, then the most recent."""
    if view not in VIEWS:
        raise InvalidInput(
            f"Unknown view {view!r}: use one of {', '.join(VIEWS)}.", code="invalid_view"
        )
    conversation = Conversation.__table__.c  # type: ignore[attr-defined]
    messages = Message.__table__.c  # type: ignore[attr-defined]
    last = (
        sa.select(messages.body, messages.created_at)
        .where(messages.conversation_id == conversation.id)
        .order_by(messages.created_at.desc())
        .limit(1)
        .lateral("last_message")
    )
    open_urgent = sa.and_(conversation.urgent, conversation.status != ConversationStatus.CLOSED)
    query = (
        sa.select(Conversation, Customer, last.c.body, last.c.created_at, _unanswered())
        .join(Customer, col(Customer.id) == conversation.customer_id)
        .outerjoin(last, sa.true())
        .order_by(
            open_urgent.desc(),
            (conversation.status == ConversationStatus.NEEDS_HUMAN).desc(),
            sa.func.coalesce(last.c.created_at, conversation.created_at).desc(),
        )
        .limit(max(1, min(limit, MAX_LIMIT)))
    )
    if view != "all":
        query = query.where(conversation.status == view)
    if search.strip():
        query = query.where(search_filter(session, search))
    return [_row(*row) for row in session.execute(query).all()]


def _row(
    conversation: Conversation,
    customer: Customer,
    body: str | None,
    at: datetime | None,
    unanswered: int,
) -> ConversationRow:
    phone = _phone(customer.phone_encrypted)
    preview = " ".join((body or "").split())
    if len(preview) > PREVIEW_CHARS:
        preview = preview[: PREVIEW_CHARS - 1] + "…"
    return ConversationRow(
        id=conversation.id,
        customer_id=customer.id,
        customer_name=_name(customer.first_name, customer.last_name),
        phone_masked=mask_phone(phone) if phone else "",
        status=conversation.status,
        urgent=conversation.urgent and conversation.status != ConversationStatus.CLOSED,
        escalation_reason=conversation.escalation_reason,
        last_message=preview,
        last_message_at=at or conversation.last_message_at,
        unanswered=int(unanswered or 0),
    )


def read_thread(
    session: Session, conversation_id: uuid.UUID, viewer: uuid.UUID | None = None
) -> ConversationThread:
    """The conversation with its messages, and what `viewer` (an account) may do with it."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("No such conversation.", code="conversation_not_found")
    customer = session.get_one(Customer, conversation.customer_id)
    messages = session.exec(
        select(Message)
        .where(Message.conversation_id == conversation.id)
        .order_by(col(Message.created_at), col(Message.id))
    ).all()
    return ConversationThread(
        conversation=conversation,
        customer_id=customer.id,
        customer_name=_name(customer.first_name, customer.last_name),
        phone=_phone(customer.phone_encrypted),
        consent_state=customer.consent_state,
        proactive_paused_reason=customer.proactive_paused_reason,
        window_open=window_open(conversation),
        actions=allowed_actions(conversation.status, conversation.assigned_account_id, viewer),
        messages=[_message(m) for m in messages],
    )


def _message(message: Message) -> ThreadMessage:
    agent = message.details.get("agent") if isinstance(message.details, dict) else None
    agent = agent if isinstance(agent, dict) else {}
    return ThreadMessage(
        id=message.id,
        direction=message.direction,
        author=message.author,
        body=message.body,
        status=message.status,
        kind=message.kind,
        intent=message.intent,
        sources=list(message.sources or []),
        agent_action=agent.get("action"),
        agent_reason=agent.get("reason") or None,
        created_at=message.created_at,
    )
