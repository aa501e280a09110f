"""Recording sends that left: each row's message in its customer's open conversation (opened
when there is none), the row settled as sent.

A wave is recorded with a few set-based statements (open conversations, new conversations,
messages, the conversations' last message time) rather than an ORM object per message: building
and flushing those objects was a third of a sending worker's Python time (bench/dispatch.py,
py-spy). The message is made from what the sender kept on the row before the request, so a
status report can record a send whose answer was lost the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from recete_app.backend.analytics.events import fact_about, record_facts
from recete_app.backend.db import current_merchant_id
from recete_app.backend.messaging.outbox.schedule import SENT
from recete_app.backend.models import (
    AnalyticsEventName,
    Conversation,
    ConversationStatus,
    Customer,
    Message,
    MessageDirection,
    MessageStatus,
    ScheduledMessage,
)

SENT_FACT, DELIVERED_FACT = AnalyticsEventName.SENT, AnalyticsEventName.DELIVERED
_MESSAGES = Message.__table__  # type: ignore[attr-defined]
_CONVERSATIONS = Conversation.__table__  # type: ignore[attr-defined]


def record_delivery(
    session: Session, row: ScheduledMessage, provider_message_id: str, status: str
) -> None:
    """The row went out as `provider_message_id` (also the reconciliation path: a status
    webhook for a row whose answer was lost)."""
    record_deliveries(session, [(row, provider_message_id)], status)


def record_deliveries(
    session: Session, delivered: list[tuple[ScheduledMessage, str]], status: str
) -> None:
    """Store each row's message and settle the row; a message a status webhook already
    recorded is kept, and a customer deleted meanwhile (with their rows) is passed over."""
    if not delivered:
        return
    now = datetime.now(UTC)
    known = _messages_by_provider_id(session, [pid for _row, pid in delivered])
    fresh = [(row, pid) for row, pid in delivered if pid not in known]
    conversations = _open_conversations(session, {row.customer_id for row, _pid in fresh})
    values = [
        _message_values(row, pid, conversations[row.customer_id], status, now)
        for row, pid in fresh
        if row.customer_id in conversations
    ]
    if values:
        session.execute(sa.insert(_MESSAGES), values)
        _record_sent(session, values, status, now)
        session.execute(
            sa.update(_CONVERSATIONS)
            .where(_CONVERSATIONS.c.id.in_({v["conversation_id"] for v in values}))
            .values(last_message_at=now)
        )
    ids = {**known, **{v["provider_message_id"]: v["id"] for v in values}}
    for row, pid in delivered:
        if pid in ids:
            row.status, row.message_id, row.sent_at = SENT, ids[pid], now
            row.lease_until, row.last_error, row.updated_at = None, None, now
    session.flush()


def _record_sent(
    session: Session, values: list[dict[str, Any]], status: str, now: datetime
) -> None:
    """The journey's facts about the sends just recorded: sent, and delivered when the channel
    delivers at once (the sandbox)."""
    names = [SENT_FACT] + ([DELIVERED_FACT] if status == MessageStatus.DELIVERED else [])
    record_facts(
        session, [f for v in values for name in names for f in fact_about(name, v["details"], now)]
    )


def _messages_by_provider_id(session: Session, provider_ids: list[str]) -> dict[str, uuid.UUID]:
    rows = session.exec(
        select(Message.provider_message_id, Message.id).where(
            col(Message.provider_message_id).in_(provider_ids)
        )
    ).all()
    return {str(pid): message_id for pid, message_id in rows}


def _open_conversations(
    session: Session, customer_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Each customer's open conversation (the newest), opening one for those with none."""
    wanted = set(customer_ids)
    if not wanted:
        return {}
    found: dict[uuid.UUID, uuid.UUID] = {}
    for customer_id, conversation_id in session.exec(
        select(Conversation.customer_id, Conversation.id)
        .where(
            col(Conversation.customer_id).in_(wanted),
            Conversation.status != ConversationStatus.CLOSED,
        )
        .order_by(col(Conversation.created_at).desc())
    ).all():
        found.setdefault(customer_id, conversation_id)
    missing = session.exec(
        select(Customer.id, Customer.language).where(col(Customer.id).in_(wanted - set(found)))
    ).all()
    if missing:
        merchant_id = current_merchant_id(session)
        opened = {customer_id: uuid.uuid4() for customer_id, _language in missing}
        session.execute(
            sa.insert(_CONVERSATIONS),
            [
                {"id": opened[cid], "merchant_id": merchant_id, "customer_id": cid, "language": la}
                for cid, la in missing
            ],
        )
        found.update(opened)
    return found


def _message_values(
    row: ScheduledMessage,
    provider_message_id: str,
    conversation_id: uuid.UUID,
    status: str,
    now: datetime,
) -> dict[str, Any]:
    kept = row.payload
    return {
        "id": uuid.uuid4(),
        "merchant_id": row.merchant_id,
        "conversation_id": conversation_id,
        "direction": MessageDirection.OUTBOUND,
        "author": str(kept.get("author", "system")),
        "body": str(kept.get("text", "")),
        "kind": str(kept.get("message_kind", "template")),
        "status": status,
        "provider_message_id": provider_message_id,
        "details": {**(kept.get("details") or {}), "scheduled_message_id": str(row.id)},
        "intent": kept.get("intent"),
        "sources": kept.get("sources") or [],
        "created_at": now,
        "status_updated_at": now,
    }
