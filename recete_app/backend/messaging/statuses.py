"""WhatsApp's reports on messages we sent: sent, delivered, read, failed — in any order.

A status only moves a message forward (read never goes back to delivered). A report for a send
whose answer was lost (the row is `sending` or `unknown`, tagged by its callback data) is the
proof that it left: the message is recorded then, once. So is a report that comes after a person
reviewed such a send: left as is, the row learns what became of it; sent again but not yet gone,
the copy is not sent (it arrived; a failure report lets the copy go).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlmodel import Session, select

from recete_app.backend.analytics.events import fact_about, record_facts
from recete_app.backend.messaging.outbox.recording import record_delivery
from recete_app.backend.messaging.outbox.review import LEFT_AS_IS, SENT_AGAIN
from recete_app.backend.messaging.outbox.schedule import (
    CANCELLED,
    FAILED,
    QUEUED,
    SCHEDULED,
    SENDING,
    UNKNOWN,
)
from recete_app.backend.messaging.outbox.sending import CALLBACK_PREFIX
from recete_app.backend.messaging.whatsapp.payloads import NumberError, StatusError, StatusUpdate
from recete_app.backend.models import (
    AnalyticsEventName,
    Integration,
    Message,
    MessageStatus,
    ScheduledMessage,
)
from recete_app.backend.phones import calling_code

log = logging.getLogger(__name__)
DELIVERED_FACT, READ_FACT = AnalyticsEventName.DELIVERED, AnalyticsEventName.READ
FAILED_FACT = AnalyticsEventName.FAILED

# How far each report says a message got; "pending" (not a stored status) moves nothing.
RANK = {
    MessageStatus.FAILED: 0,
    "pending": 0,
    MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2,
    MessageStatus.READ: 3,
}


def apply_status(session: Session, update: StatusUpdate) -> str:
    message = session.exec(
        select(Message).where(Message.provider_message_id == update.message_id).with_for_update()
    ).first()
    if message is None:
        message = _reconciled(session, update)
    if message is None:
        return "unknown_message"  # sent outside Recete, or long gone
    _note_pricing(session, message, update)
    if update.status == MessageStatus.FAILED:
        return _failed(session, message, update)
    if RANK.get(update.status, -1) > RANK.get(message.status, 0):
        _record_progress(session, message, update)
        message.status = update.status
        message.status_updated_at = update.timestamp
        message.error = None  # a delivery report outranks an earlier failure report
        return "updated"
    return "unchanged"


def _record_progress(session: Session, message: Message, update: StatusUpdate) -> None:
    """Delivered and read facts for a journey send; a read that came first is a delivery too."""
    status, at = update.status, update.timestamp
    if status not in (MessageStatus.DELIVERED, MessageStatus.READ):
        return
    reached = [DELIVERED_FACT] + ([READ_FACT] if status == MessageStatus.READ else [])
    facts = [
        fact
        for name in reached
        for fact in fact_about(name, message.details, message.created_at, occurred_at=at)
    ]
    record_facts(session, facts)


def _note_pricing(session: Session, message: Message, update: StatusUpdate) -> None:
    """WhatsApp's pricing of the message, kept from the first report that carries it."""
    pricing = update.pricing
    if pricing is None or message.pricing_category is not None:
        return
    message.billable = pricing.billable
    message.pricing_category = pricing.category
    message.pricing_type = pricing.pricing_type
    message.calling_code = calling_code(update.recipient_id)
    facts = fact_about(
        AnalyticsEventName.PRICED,
        message.details,
        message.created_at,
        {
            "billable": bool(pricing.billable),
            "category": pricing.category,
            "type": pricing.pricing_type,
            "calling_code": message.calling_code,
        },
    )
    record_facts(session, facts)


def _scheduled_row(session: Session, callback_data: str | None) -> ScheduledMessage | None:
    if not callback_data or not callback_data.startswith(CALLBACK_PREFIX):
        return None
    try:
        row_id = uuid.UUID(callback_data.removeprefix(CALLBACK_PREFIX))
    except ValueError:
        return None
    return session.get(ScheduledMessage, row_id, with_for_update=True)


def _reconciled(session: Session, update: StatusUpdate) -> Message | None:
    row = _scheduled_row(session, update.callback_data)
    if row is None or not _may_have_left(row, update):
        return None
    record_delivery(session, row, update.message_id, MessageStatus.SENT)
    return session.exec(
        select(Message).where(Message.provider_message_id == update.message_id)
    ).one()


def _may_have_left(row: ScheduledMessage, update: StatusUpdate) -> bool:
    """The row's request may have reached WhatsApp without its answer reaching us."""
    if row.status in (SENDING, UNKNOWN):
        return True
    if row.status == CANCELLED:
        return row.last_error == LEFT_AS_IS
    # Sent again, not started yet (a copy in flight is `sending`, above).
    return (
        row.status in (SCHEDULED, QUEUED)
        and row.last_error == SENT_AGAIN
        and (update.status != MessageStatus.FAILED)
    )


def _failed(session: Session, message: Message, update: StatusUpdate) -> str:
    if RANK.get(message.status, 0) >= RANK[MessageStatus.DELIVERED]:
        return "unchanged"  # it reached the phone; a late failure report changes nothing
    reason = describe_errors(update.errors) or "WhatsApp reported the message as failed."
    message.status = MessageStatus.FAILED
    message.error = reason[:1000]
    message.status_updated_at = update.timestamp
    message.details = {**message.details, "error_codes": [e.code for e in update.errors]}
    facts = fact_about(FAILED_FACT, message.details, message.created_at, _why(update))
    record_facts(session, facts)
    row = session.exec(
        select(ScheduledMessage).where(ScheduledMessage.message_id == message.id)
    ).first()
    if row is not None:
        row.status, row.last_error = FAILED, reason[:1000]
    return "failed"


def _why(update: StatusUpdate) -> dict[str, str]:
    first = update.errors[0] if update.errors else None
    if first is None:
        return {}
    return {"code": str(first.code) if first.code is not None else "none", "title": first.title}


def describe_errors(errors: tuple[StatusError, ...]) -> str:
    return "; ".join(
        f"{error.code}: {error.title}" + (f" ({error.details})" if error.details else "")
        for error in errors
    )


def note_number_errors(session: Session, errors: list[NumberError]) -> None:
    """Errors Meta reports about a number rather than a message (`value.errors[]`): shown on
    the number's integration card until the next one, and logged for the operator."""
    for error in errors:
        integration = session.exec(
            select(Integration).where(
                Integration.kind == "whatsapp", Integration.external_id == error.phone_number_id
            )
        ).first()
        if integration is None:
            continue
        reason = f"WhatsApp reported an error for this number: {describe_errors((error.error,))}"
        integration.last_error = reason[:1000]
        integration.updated_at = datetime.now(UTC)
        log.warning(
            "whatsapp number error",
            extra={"phone_number_id": error.phone_number_id, "code": error.error.code},
        )
