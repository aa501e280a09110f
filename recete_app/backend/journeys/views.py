"""What the journey settings page shows: a step rendered for a real order, and the plan."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from recete_app.backend.journeys.composing import Ready, Stop, render_step
from recete_app.backend.journeys.send_batch import SendBatch
from recete_app.backend.models import Customer, JourneyStep, Order, ScheduledMessage


@dataclass(frozen=True)
class Preview:
    text: str  # the message as the customer would read it, or why it cannot be sent
    order_name: str
    customer_name: str
    template: str
    ok: bool


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


def preview_step(session: Session, step_id: uuid.UUID) -> Preview | None:
    """The step rendered for the most recent delivered order (None when there is none yet)."""
    step = session.get(JourneyStep, step_id)
    order = session.exec(
        select(Order)
        .where(col(Order.delivered_at).is_not(None), col(Order.customer_id).is_not(None))
        .order_by(col(Order.delivered_at).desc())
        .limit(1)
    ).first()
    if step is None or order is None or order.customer_id is None:
        return None
    customer = session.get_one(Customer, order.customer_id)
    decision = render_step(SendBatch(session, datetime.now(UTC)), customer, "", order, step)
    name = " ".join(part for part in (customer.first_name, customer.last_name) if part)
    if isinstance(decision, Ready):
        template = str(decision.details.get("template", ""))
        return Preview(decision.outgoing.text, order.name, name, template, True)
    reason = decision.reason if isinstance(decision, Stop) else "Not sendable."
    return Preview(reason, order.name, name, "", False)


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
