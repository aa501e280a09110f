"""Messages customers send: stored once per provider id, the 24-hour window refreshed, opt-outs
and opt-ins handled on the spot (the agent answers the rest)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from recete_app.backend.analytics.events import record_follow_up
from recete_app.backend.commerce.customers import customer_for_phone, record_consent
from recete_app.backend.commerce.events import CONSENT_OPTED_IN, CONSENT_OPTED_OUT, ConsentInfo
from recete_app.backend.db import current_merchant_id
from recete_app.backend.messaging.conversations import SERVICE_WINDOW, open_conversation
from recete_app.backend.messaging.opt_out import (
    is_opt_in,
    is_opt_out,
    opt_in_confirmation,
    opt_out_confirmation,
)
from recete_app.backend.messaging.outbox.schedule import cancel_pending, schedule_reply
from recete_app.backend.messaging.whatsapp.payloads import InboundMessage
from recete_app.backend.models import (
    AnalyticsEventName,
    Conversation,
    Customer,
    Message,
    MessageDirection,
    MessageStatus,
)
from recete_app.backend.phones import InvalidPhoneError, normalize_phone

OPTED_OUT, OPTED_IN, STORED = "opt_out", "opt_in", "stored"
REPLIED, OPTED_OUT_FACT = AnalyticsEventName.REPLIED, AnalyticsEventName.OPTED_OUT


@dataclass(frozen=True)
class Received:
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    customer_id: uuid.UUID
    action: str  # opt_out | opt_in | stored (for the agent)


def receive(session: Session, inbound: InboundMessage) -> Received | None:
    """Store one inbound message; None when it was stored before (a redelivery) or unusable."""
    try:
        phone = normalize_phone("+" + inbound.sender.lstrip("+"))
    except InvalidPhoneError:
        return None
    customer = customer_for_phone(session, phone, inbound.profile_name)
    conversation = open_conversation(session, customer)
    stored = _store(session, conversation, inbound)
    if stored is None:
        return None
    message_id, stored_at = stored
    opens_until = inbound.timestamp + SERVICE_WINDOW
    if conversation.window_expires_at is None or conversation.window_expires_at < opens_until:
        conversation.window_expires_at = opens_until
    conversation.last_message_at = max(conversation.last_message_at or stored_at, stored_at)
    action = _consent_change(session, customer, inbound, stored_at)
    # A reply to the journey's recent messages (an opt-out is counted as one, below), as of
    # when it is kept (WhatsApp's whole seconds put a quick reply before the message it answers).
    if action != OPTED_OUT:
        record_follow_up(session, REPLIED, customer.id, stored_at, every=True)
    if action != STORED:
        session.execute(
            sa.update(Message)
            .where(col(Message.id) == message_id)
            .values(status=MessageStatus.HANDLED, intent=action)
            .execution_options(synchronize_session=False)
        )
    return Received(message_id, conversation.id, customer.id, action)


def _store(
    session: Session, conversation: Conversation, inbound: InboundMessage
) -> tuple[uuid.UUID, datetime] | None:
    details: dict[str, object] = {}
    if inbound.media is not None:
        details["media"] = {
            "id": inbound.media.media_id,
            "mime_type": inbound.media.mime_type,
            "sha256": inbound.media.sha256,
            "filename": inbound.media.filename,
        }
    if inbound.payload:
        details["payload"] = inbound.payload
    if inbound.context_message_id:
        details["in_reply_to"] = inbound.context_message_id
    # WhatsApp's timestamps have whole seconds: messages are kept (and answered) in the order
    # they arrived, so one that arrives after the conversation's latest message sorts after it.
    created_at = inbound.timestamp
    latest = conversation.last_message_at
    if latest is not None and latest >= created_at:
        details["sent_at"] = inbound.timestamp.isoformat()
        created_at = latest + timedelta(microseconds=1)
    row = session.execute(
        insert(Message)
        .values(
            id=uuid.uuid4(),
            merchant_id=current_merchant_id(session),
            conversation_id=conversation.id,
            direction=MessageDirection.INBOUND,
            author="customer",
            body=_body(inbound),
            kind=inbound.kind[:20],
            status=MessageStatus.RECEIVED,
            provider_message_id=inbound.message_id,
            details=details,
            sources=[],
            created_at=created_at,
        )
        .on_conflict_do_nothing(constraint="uq_messages_provider_message_id")
        .returning(col(Message.id), col(Message.created_at))
    ).first()
    return (row[0], row[1]) if row else None


def _body(inbound: InboundMessage) -> str:
    """Text as written; for media, a note that it arrived (the file stays with Meta)."""
    if inbound.media is None and inbound.kind in ("text", "button", "interactive"):
        return inbound.text
    note = f"[{inbound.kind} received]"
    return f"{note} {inbound.text}".strip() if inbound.text else note


def _consent_change(
    session: Session, customer: Customer, inbound: InboundMessage, stored_at: datetime
) -> str:
    if inbound.kind not in ("text", "button"):
        return STORED
    if is_opt_out(inbound.text):
        state, action = CONSENT_OPTED_OUT, OPTED_OUT
    elif is_opt_in(inbound.text):
        state, action = CONSENT_OPTED_IN, OPTED_IN
    else:
        return STORED
    consent = ConsentInfo(state, "whatsapp", "whatsapp:keyword", inbound.timestamp)
    if not record_consent(session, customer, consent):
        return action  # already in that state: confirmed once before, not again
    if state == CONSENT_OPTED_OUT:
        cancel_pending(session, "The customer opted out.", customer_id=customer.id)
        record_follow_up(session, OPTED_OUT_FACT, customer.id, stored_at, every=False)
        confirmation = opt_out_confirmation(customer.language)
    else:
        confirmation = opt_in_confirmation(customer.language)
    schedule_reply(
        session,
        customer.id,
        text=confirmation,
        key=f"consent:{inbound.message_id}",
        reply_to=inbound.message_id,
    )
    return action
