"""The queue as a person reads it: rows with the customer, order and step they are about."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from recete_app.backend.models import Customer, JourneyStep, Order, ScheduledMessage


@dataclass(frozen=True)
class PlannedMessage:
    id: uuid.UUID
    customer_name: str
    order_name: str
    step_position: int | None
    kind: str
    due_at: datetime
    status: str
    note: str


def with_names() -> Select[ScheduledMessage, str, str, int]:
    """Scheduled rows with what a person knows them by: (row, first name, order, step)."""
    return (
        select(ScheduledMessage, Customer.first_name, Order.name, JourneyStep.position)
        .join(Customer, col(Customer.id) == ScheduledMessage.customer_id)
        .join(Order, col(Order.id) == ScheduledMessage.order_id, isouter=True)
        .join(JourneyStep, col(JourneyStep.id) == ScheduledMessage.step_id, isouter=True)
    )


def planned_messages(session: Session, limit: int = 50) -> list[PlannedMessage]:
    """The schedule, soonest first: waiting rows, then the latest outcomes."""
    rows = session.exec(
        with_names().order_by(col(ScheduledMessage.due_at).desc()).limit(limit)
    ).all()
    return [
        PlannedMessage(
            id=row.id,
            customer_name=first_name,
            order_name=order_name or "",
            step_position=position,
            kind=row.kind,
            due_at=row.due_at,
            status=row.status,
            note=row.last_error or "",
        )
        for row, first_name, order_name, position in rows
    ]
