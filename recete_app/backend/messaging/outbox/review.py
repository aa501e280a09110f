"""Sends in doubt, for a person to decide.

A row is `unknown` when a worker stopped after its request may have left and WhatsApp's status
report (which would have settled it) never came. Resending on our own could message a customer
twice, so it waits here: the merchant either sends it again, knowing the customer may get it
twice, or leaves it, and the row is settled either way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from recete_app.backend import audit
from recete_app.backend.errors import Conflict, NotFound
from recete_app.backend.messaging.outbox.schedule import CANCELLED, SCHEDULED, UNKNOWN
from recete_app.backend.messaging.outbox.views import with_names
from recete_app.backend.models import ScheduledMessage

SENT_AGAIN = "Sent again after review: the customer may receive it twice."
LEFT_AS_IS = "Reviewed: not sent again (the customer may already have it)."


@dataclass(frozen=True)
class SendInDoubt:
    id: uuid.UUID
    customer_name: str
    order_name: str
    step_position: int | None
    kind: str
    attempted_at: datetime | None
    text: str  # what the customer would have read
    reason: str


def sends_in_doubt(session: Session, limit: int = 100) -> list[SendInDoubt]:
    """The rows waiting for a decision, most recent attempt first."""
    rows = session.exec(
        with_names()
        .where(ScheduledMessage.status == UNKNOWN)
        .order_by(col(ScheduledMessage.request_started_at).desc().nulls_last())
        .limit(limit)
    ).all()
    return [
        SendInDoubt(
            id=row.id,
            customer_name=first_name or "",
            order_name=order_name or "",
            step_position=position,
            kind=row.kind,
            attempted_at=row.request_started_at,
            text=str(row.payload.get("text", "")),
            reason=row.last_error or "",
        )
        for row, first_name, order_name, position in rows
    ]


def settle_in_doubt(
    session: Session, actor: str, scheduled_id: uuid.UUID, *, send_again: bool
) -> ScheduledMessage:
    """Send the row again at once (through the usual checks: window, one a day, consent) or
    leave it. Only an `unknown` row can be settled: one a status report settled meanwhile is
    not touched."""
    row = session.exec(
        select(ScheduledMessage).where(ScheduledMessage.id == scheduled_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound("No such scheduled message.")
    if row.status != UNKNOWN:
        raise Conflict(f"This message is {row.status} now: nothing to decide.", code="not_in_doubt")
    now = datetime.now(UTC)
    if send_again:
        row.status, row.due_at, row.last_error = SCHEDULED, now, SENT_AGAIN
        row.request_started_at = None
    else:
        row.status, row.last_error = CANCELLED, LEFT_AS_IS
    row.lease_until, row.updated_at = None, now
    action = "schedule.sent_again" if send_again else "schedule.left_in_doubt"
    audit.record(session, actor, action, target=str(row.id))
    return row
