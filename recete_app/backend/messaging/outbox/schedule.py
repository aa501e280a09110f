"""The outbound queue's vocabulary (statuses, kinds), the one constructor of its rows, and the
changes every part makes to it. Journey steps, the agent's replies, a person's messages and
opt-out confirmations all leave through it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from recete_app.backend.db import current_merchant_id
from recete_app.backend.models import Customer, Merchant, ScheduledMessage, ScheduledStatus
from recete_app.backend.phones import customer_timezone
from recete_app.backend.security.crypto import decrypt_field
from recete_app.backend.security.fields import PHONE

# Kinds of scheduled message.
JOURNEY_STEP = "journey_step"  # a template, proactive (one a day, quiet hours)
TEXT_REPLY = "text_reply"  # free-form text: only inside the customer's 24-hour window

# Statuses (models.ScheduledStatus), by their short names.
SCHEDULED, QUEUED, SENDING = (
    ScheduledStatus.SCHEDULED,
    ScheduledStatus.QUEUED,
    ScheduledStatus.SENDING,
)
SENT, FAILED, SKIPPED = ScheduledStatus.SENT, ScheduledStatus.FAILED, ScheduledStatus.SKIPPED
CANCELLED, PAUSED, UNKNOWN = (
    ScheduledStatus.CANCELLED,
    ScheduledStatus.PAUSED,
    ScheduledStatus.UNKNOWN,
)

REPLANNABLE = (SCHEDULED, SKIPPED)
CANCELLABLE = (SCHEDULED, QUEUED, PAUSED)


def outbound_row(
    session: Session,
    customer_id: uuid.UUID,
    *,
    kind: str,
    key: str,
    payload: dict[str, object],
    due_at: datetime | None = None,
    order_id: uuid.UUID | None = None,
    step_id: uuid.UUID | None = None,
    status: str = SCHEDULED,
    last_error: str | None = None,
) -> ScheduledMessage:
    """A new outbound row, due now unless `due_at` says otherwise; not yet added to the session.
    Every sender of a message makes its rows here, so none lacks a field the sender relies on.
    `key` makes it once per merchant (uq_scheduled_idempotency)."""
    now = datetime.now(UTC)
    return ScheduledMessage(
        id=uuid.uuid4(),
        merchant_id=current_merchant_id(session),
        customer_id=customer_id,
        order_id=order_id,
        step_id=step_id,
        idempotency_key=key,
        kind=kind,
        due_at=due_at or now,
        status=status,
        last_error=last_error,
        payload=payload,
        attempts=0,
        claims=0,
        created_at=now,
    )


def add_once(session: Session, row: ScheduledMessage) -> None:
    """Insert the row unless its key is taken (a redelivered message, a re-run after a crash):
    the row made the first time stands."""
    session.execute(
        insert(ScheduledMessage)
        .values(**row.model_dump())
        .on_conflict_do_nothing(constraint="uq_scheduled_idempotency")
    )


def schedule_reply(
    session: Session,
    customer_id: uuid.UUID,
    *,
    text: str,
    key: str,
    reply_to: str | None = None,
    author: str = "system",
    extra: dict[str, object] | None = None,
) -> None:
    """A free-form reply, due now, sent once per `key` (inside the 24-hour window only: the
    sender checks). `extra` travels to the stored message: intent, sources, details."""
    payload = {**(extra or {}), "text": text, "reply_to": reply_to, "author": author}
    add_once(session, outbound_row(session, customer_id, kind=TEXT_REPLY, key=key, payload=payload))


def cancel_pending(
    session: Session,
    reason: str,
    *,
    order_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
) -> int:
    """Cancel the proactive messages not yet being sent for an order or a customer. A queued one
    is cancelled too: its sender finds it no longer queued and sends nothing."""
    if (order_id is None) == (customer_id is None):
        raise ValueError("cancel by order or by customer")
    scope = (
        col(ScheduledMessage.order_id) == order_id
        if order_id is not None
        else col(ScheduledMessage.customer_id) == customer_id
    )
    result = session.execute(
        sa.update(ScheduledMessage)
        .where(
            scope,
            col(ScheduledMessage.kind) == JOURNEY_STEP,
            col(ScheduledMessage.status).in_(CANCELLABLE),
        )
        .values(status=CANCELLED, last_error=reason, updated_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def customer_zone(
    session: Session, customer: Customer, merchant: Merchant | None = None
) -> ZoneInfo:
    """The customer's timezone: remembered, else from the phone's country, else the merchant's."""
    if customer.timezone:
        try:
            return ZoneInfo(customer.timezone)
        except (KeyError, ValueError):
            pass
    merchant = merchant or session.get_one(Merchant, current_merchant_id(session))
    phone = decrypt_field(customer.phone_encrypted, PHONE) if customer.phone_encrypted else None
    zone = customer_timezone(phone, None, fallback=merchant.timezone)
    customer.timezone = zone.key
    return zone
