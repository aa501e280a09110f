"""A customer's conversation and its messages: opened on first contact, one open at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from recete_app.backend.db import current_merchant_id
from recete_app.backend.models import Conversation, ConversationStatus, Customer

# Free-form messages are allowed for 24 hours after the customer's last message.
SERVICE_WINDOW = timedelta(hours=24)


def open_conversation(session: Session, customer: Customer) -> Conversation:
    """The customer's open conversation, or a new one."""
    conversation = session.exec(
        select(Conversation)
        .where(
            Conversation.customer_id == customer.id,
            Conversation.status != ConversationStatus.CLOSED,
        )
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
