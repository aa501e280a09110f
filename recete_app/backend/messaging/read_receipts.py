"""Blue ticks: the customer sees that the store read their messages once they have been
answered (by the agent, handed to a person with a reply saying so, or by the person's reply).
Best effort: a receipt that fails is logged, never retried — it changes nothing but two ticks'
colour."""

from __future__ import annotations

import logging
import uuid

from sqlmodel import Session, col, select

from recete_app.backend.messaging.channels import Channel, WhatsAppChannel
from recete_app.backend.messaging.whatsapp.errors import WhatsAppError
from recete_app.backend.models import Conversation, Message, MessageDirection

log = logging.getLogger(__name__)


def mark_read(channel: Channel | None, provider_message_id: str | None) -> bool:
    """Whether WhatsApp took the receipt (False in the sandbox and for a broken number)."""
    if not provider_message_id or not isinstance(channel, WhatsAppChannel):
        return False
    try:
        channel.client.mark_read(provider_message_id)
    except WhatsAppError as exc:
        log.warning("read receipt refused", extra={"code": getattr(exc, "graph_code", None)})
        return False
    return True


def latest_from_customer(session: Session, customer_id: uuid.UUID) -> str | None:
    """The provider id of the customer's newest WhatsApp message: marking it read marks the
    earlier ones too."""
    return session.exec(
        select(Message.provider_message_id)
        .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
        .where(
            Conversation.customer_id == customer_id,
            Message.direction == MessageDirection.INBOUND,
            col(Message.provider_message_id).is_not(None),
        )
        .order_by(col(Message.created_at).desc())
        .limit(1)
    ).first()
