"""What the journey settings page and the inbox's template picker show: a step rendered for a
real order, and the steps a person may send. The plan itself is the queue's
(`messaging/outbox/views.py`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from recete_app.backend.journeys.composing import render_step
from recete_app.backend.journeys.settings import journey_for, journey_steps
from recete_app.backend.journeys.step_batch import StepBatch
from recete_app.backend.messaging.outbox.composing import Ready, Stop
from recete_app.backend.models import Customer, JourneyStep, Order


@dataclass(frozen=True)
class Preview:
    text: str  # the message as the customer would read it, or why it cannot be sent
    order_name: str
    customer_name: str
    template: str
    ok: bool


@dataclass(frozen=True)
class TemplateChoice:
    step_id: uuid.UUID
    label: str  # "Step 1 · day 3 · usage tips"


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
    decision = render_step(StepBatch(session, datetime.now(UTC)), customer, "", order, step)
    name = " ".join(part for part in (customer.first_name, customer.last_name) if part)
    if isinstance(decision, Ready):
        template = str(decision.details.get("template", ""))
        return Preview(decision.outgoing.text, order.name, name, template, True)
    reason = decision.reason if isinstance(decision, Stop) else "Not sendable."
    return Preview(reason, order.name, name, "", False)


def template_choices(session: Session) -> list[TemplateChoice]:
    """The journey steps a person may send as a template (outside the 24-hour window)."""
    steps = journey_steps(session, journey_for(session))
    return [
        TemplateChoice(
            step.id,
            f"Step {step.position} · day {step.offset_days} · {step.purpose.replace('_', ' ')}",
        )
        for step in steps
        if step.enabled
    ]
