"""From order facts to the durable schedule: one `scheduled_messages` row per journey step.

Driven by the domain events commerce writes (delivered, cancelled, refunded). Planning the same
order again moves what has not been sent yet and never duplicates a step: each row's
idempotency key is the order and the step. A customer's rows are planned under a lock on that
customer, so two orders delivered together still give one proactive message a day.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from recete_app.backend.commerce.orders import ORDER_CANCELLED, ORDER_DELIVERED, ORDER_REFUNDED
from recete_app.backend.journeys.settings import journey_for, journey_steps
from recete_app.backend.messaging.outbox.schedule import (
    CANCELLABLE,
    CANCELLED,
    JOURNEY_STEP,
    PAUSED,
    QUEUED,
    REPLANNABLE,
    SCHEDULED,
    SENDING,
    SENT,
    SKIPPED,
    UNKNOWN,
    cancel_pending,
    customer_zone,
    outbound_row,
)
from recete_app.backend.messaging.windows import SendingWindow, first_free_day, local_day
from recete_app.backend.models import (
    Customer,
    DomainEvent,
    Journey,
    JourneyStep,
    Order,
    ScheduledMessage,
)

# A step whose day passed this long before the order was planned (an imported history, a
# delivery reported late) is not sent at all: a "how to use it" three weeks late is noise.
STALE_AFTER = timedelta(days=2)
EVENT_BATCH = 200

SKIP_REASONS = {
    "no_consent": "The customer has not opted in to WhatsApp messages.",
    "no_phone": "The customer has no phone number.",
    "order_cancelled": "The order was cancelled.",
    "order_refunded": "The order was refunded.",
    "order_too_old": "The order is older than the journey's age limit.",
    "step_passed": "The step's day had already passed when the delivery became known.",
    "paused": "Proactive messages to this customer are paused (e.g. after a reported reaction).",
}


@dataclass(frozen=True)
class StepPlan:
    step_id: uuid.UUID
    due_at: datetime
    skipped: str | None  # a key of SKIP_REASONS


def apply_domain_events(session: Session, now: datetime | None = None) -> int:
    """Act on this merchant's unhandled domain events, oldest first; rows another worker holds
    are left to it. The journey and the events' orders are read once for the whole batch."""
    events = session.exec(
        select(DomainEvent)
        .where(col(DomainEvent.handled_at).is_(None))
        .order_by(col(DomainEvent.created_at))
        .limit(EVENT_BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    delivered = [e.order_id for e in events if e.order_id and e.name == ORDER_DELIVERED]
    if delivered:  # loaded into the session: plan_order's own reads of them cost nothing
        session.exec(select(Order).where(col(Order.id).in_(delivered))).all()
    journey = current_journey(session) if delivered else None
    for event in events:
        if event.order_id is not None and event.name == ORDER_DELIVERED:
            plan_order(session, event.order_id, now, journey)
        elif event.order_id is not None and event.name in (ORDER_CANCELLED, ORDER_REFUNDED):
            reason = "order_cancelled" if event.name == ORDER_CANCELLED else "order_refunded"
            cancel_pending(session, reason, order_id=event.order_id)
        event.handled_at = datetime.now(UTC)
    return len(events)


@dataclass(frozen=True)
class CurrentJourney:
    journey: Journey
    steps: list[JourneyStep]  # the enabled ones, in the order they are sent


def current_journey(session: Session) -> CurrentJourney:
    journey = journey_for(session)
    steps = sorted(
        (step for step in journey_steps(session, journey) if step.enabled),
        key=lambda step: (step.offset_days, step.position),
    )
    return CurrentJourney(journey, steps)


def merchants_with_events(session: Session) -> list[uuid.UUID]:
    """Across merchants (the session must carry the `dispatcher` lookup)."""
    return list(
        session.exec(
            select(DomainEvent.merchant_id).where(col(DomainEvent.handled_at).is_(None)).distinct()
        ).all()
    )


def plan_order(
    session: Session,
    order_id: uuid.UUID,
    now: datetime | None = None,
    current: CurrentJourney | None = None,
) -> list[StepPlan]:
    now = now or datetime.now(UTC)
    order = session.get(Order, order_id)
    if order is None or order.delivered_at is None or order.customer_id is None:
        return []
    current = current or current_journey(session)
    journey = current.journey
    if not journey.enabled:
        return []
    customer = session.get_one(Customer, order.customer_id, with_for_update=True)
    blocked = _blocked_reason(order, customer, journey, now)
    zone = customer_zone(session, customer)
    window = SendingWindow(journey.window_start, journey.window_end)
    existing = {
        row.step_id: row
        for row in session.exec(
            select(ScheduledMessage).where(
                ScheduledMessage.order_id == order.id, ScheduledMessage.kind == JOURNEY_STEP
            )
        ).all()
    }
    busy = _busy_days(session, customer.id, order.id, zone, now)
    plans = []
    for step in current.steps:
        due = order.delivered_at + timedelta(days=step.offset_days)
        reason = blocked or ("step_passed" if due < now - STALE_AFTER else None)
        if reason is None:
            due = first_free_day(max(due, now), zone, window, busy)
            busy.add(local_day(due, zone))
        plan = StepPlan(step.id, due, reason)
        _put(session, order, plan, existing.pop(step.id, None))
        plans.append(plan)
    for left in existing.values():  # steps turned off or deleted since the last plan
        if left.status in CANCELLABLE:
            left.status, left.last_error = CANCELLED, "The journey step was turned off."
    session.flush()
    return plans


def _blocked_reason(
    order: Order, customer: Customer, journey: Journey, now: datetime
) -> str | None:
    if order.cancelled_at is not None:
        return "order_cancelled"
    if order.refunded_at is not None:
        return "order_refunded"
    if customer.phone_encrypted is None:
        return "no_phone"
    if customer.consent_state != "opted_in":
        return "no_consent"
    if customer.proactive_paused_at is not None:
        return "paused"
    assert order.delivered_at is not None
    if now - order.delivered_at > timedelta(days=journey.max_order_age_days):
        return "order_too_old"
    return None


def _busy_days(
    session: Session, customer_id: uuid.UUID, order_id: uuid.UUID, zone: ZoneInfo, now: datetime
) -> set[date]:
    """Local days that already carry a proactive message for this customer (this order's own
    re-plannable rows excepted: they are being planned again)."""
    own_movable = (col(ScheduledMessage.order_id) == order_id) & col(ScheduledMessage.status).in_(
        REPLANNABLE
    )
    rows = session.exec(
        select(
            ScheduledMessage.status,
            ScheduledMessage.due_at,
            ScheduledMessage.sent_at,
            ScheduledMessage.request_started_at,
        ).where(
            ScheduledMessage.customer_id == customer_id,
            ScheduledMessage.kind == JOURNEY_STEP,
            col(ScheduledMessage.status).in_((SCHEDULED, QUEUED, SENDING, SENT, PAUSED, UNKNOWN)),
            col(ScheduledMessage.due_at) >= now - timedelta(days=2),
            sa.not_(own_movable),
        )
    ).all()
    # A send in doubt may have reached the customer on the day it was attempted.
    return {
        local_day(sent or (started if status == UNKNOWN else None) or due, zone)
        for status, due, sent, started in rows
    }


def _put(session: Session, order: Order, plan: StepPlan, row: ScheduledMessage | None) -> None:
    status = SKIPPED if plan.skipped else SCHEDULED
    error = SKIP_REASONS[plan.skipped] if plan.skipped else None
    if row is None:
        assert order.customer_id is not None
        session.add(
            outbound_row(
                session,
                order.customer_id,
                kind=JOURNEY_STEP,
                key=f"journey:{order.id}:{plan.step_id}",
                payload={"skip_reason": plan.skipped} if plan.skipped else {},
                due_at=plan.due_at,
                order_id=order.id,
                step_id=plan.step_id,
                status=status,
                last_error=error,
            )
        )
    elif row.status in REPLANNABLE:
        row.due_at, row.status, row.last_error = plan.due_at, status, error
        row.payload = {"skip_reason": plan.skipped} if plan.skipped else {}
        row.updated_at = datetime.now(UTC)
    elif row.status == PAUSED:
        row.due_at = plan.due_at  # still waits for the number to be reconnected
