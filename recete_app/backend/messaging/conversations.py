"""A customer's conversation and its messages: opened on first contact, one open at a time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from recete_app.backend.db import current_merchant_id
from recete_app.backend.models import Conversation, Customer, Message

# Free-form messages are allowed for 24 hours after the customer's last message.
SERVICE_WINDOW = timedelta(hours=24)
CLOSED = "closed"


def open_conversation(session: Session, customer: Customer) -> Conversation:
    """The customer's open conversation, or a new one."""
    conversation = session.exec(
        select(Conversation)
        .where(Conversation.customer_id == customer.id, Conversation.status != CLOSED)
        .order_by(col(Conversation.created_at).desc())
        .limit(1)
    ).first()
    if conversation is None:
        conversation = start_conversation(session, customer)
        session.flush()
    return conversation


def start_conversation(session: Session, customer: Customer) -> Conversation:
    """A new conversation, added to the session: the caller knows the customer has no open
    one (a batch flushes all it starts at once)."""
    conversation = Conversation(
        merchant_id=current_merchant_id(session),
        customer_id=customer.id,
        language=customer.language,
    )
    session.add(conversation)
    return conversation


def window_open(conversation: Conversation | None, now: datetime | None = None) -> bool:
    if conversation is None or conversation.window_expires_at is None:
        return False
    return conversation.window_expires_at > (now or datetime.now(UTC))


def new_outbound(
    session: Session,
    conversation: Conversation,
    *,
    body: str,
    kind: str,
    author: str,
    provider_message_id: str,
    status: str,
    details: dict[str, Any] | None = None,
    intent: str | None = None,
    sources: list[dict[str, Any]] | None = None,
) -> Message:
    """Record a message that left (or, on the sandbox, arrived), added to the session and
    flushed with the rest of a batch. Provider ids are unique: the caller has checked that no
    message (a status webhook's reconciliation) holds this one yet."""
    now = datetime.now(UTC)
    message = Message(
        id=uuid.uuid4(),
        merchant_id=conversation.merchant_id,
        conversation_id=conversation.id,
        direction="outbound",
        author=author,
        body=body,
        kind=kind,
        status=status,
        provider_message_id=provider_message_id,
        details=details or {},
        intent=intent,
        sources=sources or [],
        created_at=now,
        status_updated_at=now,
    )
    session.add(message)
    conversation.last_message_at = now
    return message
