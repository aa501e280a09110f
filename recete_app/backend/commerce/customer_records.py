"""Everything Recete holds about one customer, as one JSON-able document (the right of access,
KVKK and GDPR alike): the profile with the phone and email decrypted, the consent log, orders
with their items, conversations with every message and its status, the scheduled messages
(journey steps planned, sent or skipped), and the audit entries about them. The merchant's
export and Shopify's `customers/data_request` both read it here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from recete_app.backend.analytics.attribution import attributions_of
from recete_app.backend.models import (
    AuditLog,
    ConsentEvent,
    Conversation,
    Customer,
    Message,
    Order,
    OrderItem,
    ScheduledMessage,
)
from recete_app.backend.security.crypto import decrypt_if_readable
from recete_app.backend.security.fields import EMAIL, PHONE

FORMAT = "recete.customer_export.v1"


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def profile(customer: Customer) -> dict[str, Any]:
    return {
        "id": str(customer.id),
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "phone": decrypt_if_readable(customer.phone_encrypted, PHONE),
        "email": decrypt_if_readable(customer.email_encrypted, EMAIL),
        "language": customer.language,
        "timezone": customer.timezone,
        "source": customer.source,
        "store_customer_id": customer.external_id,
        "consent_state": customer.consent_state,
        "consent_updated_at": _at(customer.consent_updated_at),
        "journeys_paused_at": _at(customer.proactive_paused_at),
        "journeys_paused_reason": customer.proactive_paused_reason,
        "created_at": _at(customer.created_at),
    }


def customer_record(session: Session, customer: Customer) -> dict[str, Any]:
    """The whole document; the caller audits that it was made."""
    return {
        "format": FORMAT,
        "customer": profile(customer),
        "consent_log": _consent_log(session, customer.id),
        "orders": _orders(session, customer.id),
        "conversations": _conversations(session, customer.id),
        "scheduled_messages": _scheduled(session, customer.id),
        "audit": _audit(session, customer.id),
    }


def _consent_log(session: Session, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.exec(
        select(ConsentEvent)
        .where(ConsentEvent.customer_id == customer_id)
        .order_by(col(ConsentEvent.recorded_at), col(ConsentEvent.id))
    )
    return [
        {
            "state": r.state,
            "channel": r.channel,
            "source": r.source,
            "recorded_at": _at(r.recorded_at),
            "details": r.details,
        }
        for r in rows
    ]


def _orders(session: Session, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    orders = session.exec(
        select(Order).where(Order.customer_id == customer_id).order_by(col(Order.placed_at))
    ).all()
    items = session.exec(
        select(OrderItem).where(col(OrderItem.order_id).in_([o.id for o in orders]))
    ).all()
    attributed = attributions_of(session, [o.id for o in orders])
    by_order: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for item in items:
        by_order.setdefault(item.order_id, []).append(
            {"title": item.title, "sku": item.sku, "quantity": item.quantity}
        )
    return [
        {
            "name": o.name,
            "source": o.source,
            "store_order_id": o.external_id,
            "placed_at": _at(o.placed_at),
            "fulfilled_at": _at(o.fulfilled_at),
            "delivered_at": _at(o.delivered_at),
            "cancelled_at": _at(o.cancelled_at),
            "refunded_at": _at(o.refunded_at),
            "total": str(o.total_price) if o.total_price is not None else None,
            "currency": o.currency,
            "items": by_order.get(o.id, []),
            # The journey message it was attributed to, if any (analytics/attribution.py).
            "attribution": attributed.get(o.id),
        }
        for o in orders
    ]


def _conversations(session: Session, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    conversations = session.exec(
        select(Conversation)
        .where(Conversation.customer_id == customer_id)
        .order_by(col(Conversation.created_at))
    ).all()
    messages = session.exec(
        select(Message)
        .where(col(Message.conversation_id).in_([c.id for c in conversations]))
        .order_by(col(Message.created_at), col(Message.id))
    ).all()
    by_conversation: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for m in messages:
        by_conversation.setdefault(m.conversation_id, []).append(
            {
                "direction": m.direction,
                "author": m.author,
                "kind": m.kind,
                "body": m.body,
                "status": m.status,
                "created_at": _at(m.created_at),
            }
        )
    return [
        {
            "status": c.status,
            "created_at": _at(c.created_at),
            "messages": by_conversation.get(c.id, []),
        }
        for c in conversations
    ]


def _scheduled(session: Session, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.exec(
        select(ScheduledMessage)
        .where(ScheduledMessage.customer_id == customer_id)
        .order_by(col(ScheduledMessage.due_at))
    )
    return [
        {
            "kind": r.kind,
            "status": r.status,
            "due_at": _at(r.due_at),
            "sent_at": _at(r.sent_at),
            "reason": r.last_error,
        }
        for r in rows
    ]


def _audit_targets(session: Session, customer_id: uuid.UUID) -> list[str]:
    """How audit entries name the customer or what is theirs: the customer (bare or
    `customer:`), their conversations, their messages and their scheduled messages."""
    conversations = select(Conversation.id).where(Conversation.customer_id == customer_id)
    messages = select(Message.id).where(col(Message.conversation_id).in_(conversations))
    scheduled = select(ScheduledMessage.id).where(ScheduledMessage.customer_id == customer_id)
    targets = [str(customer_id), f"customer:{customer_id}"]
    targets += [f"conversation:{i}" for i in session.exec(conversations)]
    targets += [f"message:{i}" for i in session.exec(messages)]
    targets += [str(i) for i in session.exec(scheduled)]
    return targets


def _audit(session: Session, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.exec(
        select(AuditLog)
        .where(col(AuditLog.target).in_(_audit_targets(session, customer_id)))
        .order_by(col(AuditLog.created_at))
    )
    return [
        {"action": r.action, "actor": r.actor, "at": _at(r.created_at), "details": r.details}
        for r in rows
    ]
